# The zone the GSLB names are served from (the designate appliance writes its recordsets).
resource "openstack_dns_zone_v2" "gslb" {
  region      = var.region
  name        = var.zone_name
  email       = var.zone_email
  ttl         = var.zone_ttl
  type        = "PRIMARY"
  description = "Kosmos GSLB names (${var.prefix})"
}
