# Kosmos in the Keystone catalog: service type "gslb", so `openstack` clients and SDKs
# find the API like any OpenStack service. Registering a service needs Keystone's admin
# role; set register_catalog = false where an operator manages the catalog instead.
resource "openstack_identity_service_v3" "gslb" {
  count       = var.register_catalog ? 1 : 0
  region      = var.region
  name        = var.catalog_service_name
  type        = "gslb"
  description = "Kosmos global server load balancing (${var.prefix})"
}

resource "openstack_identity_endpoint_v3" "gslb" {
  for_each   = var.register_catalog ? toset(["public", "internal"]) : toset([])
  region     = var.region
  service_id = openstack_identity_service_v3.gslb[0].id
  name       = "${var.catalog_service_name} ${each.key}"
  interface  = each.key
  # The version document is at /v1: clients discover the API version from it.
  url = "${module.names.public_urls["api"]}/v1"
}
