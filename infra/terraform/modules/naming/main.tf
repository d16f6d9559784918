# Every name and URL of a deployment, computed in one place so the global and
# regional modules (which may run against different clusters) agree on them.
locals {
  functions = ["api", "conductor", "engine"]

  # Knative appends "-00001" to a service's revisions and both must be DNS
  # labels, so service names stay under 57 characters: prefix (16) +
  # "-checker-" (9) + slug (30) = 55.
  slug_max = 30

  region_slugs = {
    for r in var.regions :
    r => trim(substr(trim(replace(lower(r), "/[^a-z0-9]+/", "-"), "-"), 0, local.slug_max), "-")
  }

  service_names = { for f in local.functions : f => "${var.prefix}-${f}" }
  checker_names = { for r, s in local.region_slugs : r => "${var.prefix}-checker-${s}" }

  global_broker  = var.prefix
  region_brokers = { for r, s in local.region_slugs : r => "${var.prefix}-${s}" }

  internal_urls = {
    for f, n in local.service_names : f => "http://${n}.${var.namespace}.svc.${var.cluster_domain}"
  }
  public_urls = {
    for f, n in local.service_names : f => "${var.public_scheme}://${n}.${var.namespace}.${var.public_domain}"
  }
  checker_internal_urls = {
    for r, n in local.checker_names : r => "http://${n}.${var.namespace}.svc.${var.cluster_domain}"
  }

  global_broker_url  = "http://${var.broker_ingress_host}/${var.namespace}/${local.global_broker}"
  region_broker_urls = { for r, b in local.region_brokers : r => "http://${var.broker_ingress_host}/${var.namespace}/${b}" }

  secrets = {
    database          = "${var.prefix}-database"
    conductor_token   = "${var.prefix}-conductor-token"
    event_signing_key = "${var.prefix}-event-signing-key"
    clouds            = "${var.prefix}-clouds"
  }
}
