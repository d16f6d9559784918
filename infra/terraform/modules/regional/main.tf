# One checker region: the checker function, its minute tick, and the broker
# that carries its ticks and batches to it and its results to the engine.
# It may run in the global cluster or in the region's own cluster.
locals {
  image     = "${var.image_registry}/kosmos-checker:${var.image_tag}"
  ping_type = "dev.knative.sources.ping"
  labels    = { "app.kubernetes.io/name" = "kosmos", "app.kubernetes.io/component" = "checker", "kosmos.openstack.org/region" = var.region.slug }
}

resource "kubernetes_namespace_v1" "kosmos" {
  count = var.create_namespace ? 1 : 0

  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/name" = "kosmos" }
  }
}

locals {
  namespace = var.create_namespace ? kubernetes_namespace_v1.kosmos[0].metadata[0].name : var.namespace
}

# Named after the checker so that several regions can share one namespace.
resource "kubernetes_secret_v1" "checker" {
  metadata {
    name      = var.region.checker_name
    namespace = local.namespace
    labels    = local.labels
  }

  data = {
    conductor_token   = var.conductor_token
    event_signing_key = var.event_signing_key
    "clouds.yaml"     = var.clouds_yaml
  }
}

module "checker" {
  source    = "../knative-function"
  name      = var.region.checker_name
  namespace = local.namespace
  function  = "checker"
  image     = local.image

  env = {
    KOSMOS_REGION = var.region.name
    # Every region's checker probes a member at another phase of its delay (its place
    # in this list), so some region looks every delay / regions.
    KOSMOS_REGIONS         = var.region.regions_json
    KOSMOS_CONDUCTOR_URL   = var.conductor_url
    KOSMOS_EMITTER         = "http"
    KOSMOS_BROKER_URL      = var.region.broker_url
    KOSMOS_BATCH_SIZE      = tostring(var.batch_size)
    KOSMOS_MAX_CONCURRENCY = tostring(var.max_concurrency)
    KOSMOS_FOLD_CHECKS     = tostring(var.fold_checks)
    KOSMOS_DENY_CIDRS      = jsonencode(var.deny_cidrs)
    KOSMOS_ALLOW_CIDRS     = jsonencode(var.allow_cidrs)
    KOSMOS_CLOUD           = var.cloud_name
    KOSMOS_LOG_LEVEL       = var.log_level
  }

  secret_env = {
    KOSMOS_CONDUCTOR_TOKEN   = { secret = kubernetes_secret_v1.checker.metadata[0].name, key = "conductor_token" }
    KOSMOS_EVENT_SIGNING_KEY = { secret = kubernetes_secret_v1.checker.metadata[0].name, key = "event_signing_key" }
  }
  clouds_secret_name = kubernetes_secret_v1.checker.metadata[0].name

  min_scale             = var.region.min_scale
  max_scale             = var.region.max_scale
  timeout_seconds       = var.region.checker_timeout_seconds
  container_concurrency = var.container_concurrency
  visibility            = "cluster-local"
}
