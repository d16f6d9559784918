# The global part of Kosmos: api, conductor and engine, the database, the
# zone, the functions' credentials and the broker the engine listens on.
module "names" {
  source        = "../naming"
  prefix        = var.prefix
  namespace     = var.namespace
  regions       = var.regions
  public_domain = var.public_domain
}

module "schedules" {
  source           = "../schedules"
  reconcile_period = var.reconcile_period
}

locals {
  images = { for f in ["api", "conductor", "engine"] : f => "${var.image_registry}/kosmos-${f}:${var.image_tag}" }

  # The entry of clouds.yaml every function uses (KOSMOS_CLOUD).
  cloud_name = "kosmos"

  conductor_url = var.internal_visibility == "external" ? module.names.public_urls["conductor"] : module.names.internal_urls["conductor"]
  engine_url    = var.internal_visibility == "external" ? module.names.public_urls["engine"] : module.names.internal_urls["engine"]
}

resource "kubernetes_namespace_v1" "kosmos" {
  count = var.create_namespace ? 1 : 0

  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/name" = "kosmos" }
  }
}

locals {
  # Depend on the namespace when this module creates it.
  namespace = var.create_namespace ? kubernetes_namespace_v1.kosmos[0].metadata[0].name : var.namespace
}
