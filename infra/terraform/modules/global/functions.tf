# The three global functions. Each environment lists exactly the KOSMOS_
# settings that function reads (tests check the names against Settings).
module "conductor" {
  source    = "../knative-function"
  name      = module.names.service_names["conductor"]
  namespace = local.namespace
  function  = "conductor"
  image     = local.images.conductor

  env = {
    # Migrations ran in the Job (migrate.tf); a conductor never alters the schema itself.
    KOSMOS_DATABASE_AUTO_MIGRATE = "false"
    KOSMOS_DATABASE_POOL_SIZE    = tostring(var.db_pool_size)
    KOSMOS_LOG_LEVEL             = var.log_level
    # Users' changes are announced to the engine (kosmos.engine.decide) through the broker.
    KOSMOS_EMITTER    = "http"
    KOSMOS_BROKER_URL = module.names.global_broker_url
  }

  secret_env = {
    KOSMOS_DATABASE_URL      = { secret = kubernetes_secret_v1.database.metadata[0].name, key = "database_url" }
    KOSMOS_CONDUCTOR_TOKEN   = { secret = kubernetes_secret_v1.conductor_token.metadata[0].name, key = "conductor_token" }
    KOSMOS_EVENT_SIGNING_KEY = { secret = kubernetes_secret_v1.event_signing_key.metadata[0].name, key = "event_signing_key" }
  }

  min_scale  = var.scale.conductor.min
  max_scale  = var.scale.conductor.max
  visibility = var.internal_visibility

  depends_on = [kubernetes_job_v1.migrate]
}

module "api" {
  source    = "../knative-function"
  name      = module.names.service_names["api"]
  namespace = local.namespace
  function  = "api"
  image     = local.images.api

  env = {
    KOSMOS_CONDUCTOR_URL     = module.names.internal_urls["conductor"]
    KOSMOS_AUTH_STRATEGY     = var.auth_strategy
    KOSMOS_KEYSTONE_AUTH_URL = var.keystone_auth_url
    KOSMOS_CLOUD             = local.cloud_name
    KOSMOS_API_PUBLIC_URL    = module.names.public_urls["api"]
    KOSMOS_LOG_LEVEL         = var.log_level
  }

  secret_env = {
    KOSMOS_CONDUCTOR_TOKEN = { secret = kubernetes_secret_v1.conductor_token.metadata[0].name, key = "conductor_token" }
  }
  clouds_secret_name = kubernetes_secret_v1.clouds.metadata[0].name

  min_scale  = var.scale.api.min
  max_scale  = var.scale.api.max
  visibility = "external"

  # Roll after the conductor, which rolls after the migrations.
  depends_on = [module.conductor]
}

module "engine" {
  source    = "../knative-function"
  name      = module.names.service_names["engine"]
  namespace = local.namespace
  function  = "engine"
  image     = local.images.engine

  env = {
    KOSMOS_CONDUCTOR_URL   = module.names.internal_urls["conductor"]
    KOSMOS_REGIONS         = jsonencode(var.regions)
    KOSMOS_QUORUM          = tostring(var.quorum)
    KOSMOS_STALE_INTERVALS = tostring(var.stale_intervals)
    KOSMOS_FOLD_CHECKS     = tostring(var.fold_checks)
    KOSMOS_APPLIANCE       = var.appliance
    KOSMOS_CLOUD           = local.cloud_name
    KOSMOS_LOG_LEVEL       = var.log_level
    # A large reconcile is sent on as shards (kosmos.engine.reconcile) through the broker.
    KOSMOS_EMITTER    = "http"
    KOSMOS_BROKER_URL = module.names.global_broker_url
    # Rechecks of a suspect member go to every region's checker through its own broker.
    KOSMOS_REGION_BROKERS = jsonencode(module.names.region_broker_urls)
  }

  secret_env = {
    KOSMOS_CONDUCTOR_TOKEN   = { secret = kubernetes_secret_v1.conductor_token.metadata[0].name, key = "conductor_token" }
    KOSMOS_EVENT_SIGNING_KEY = { secret = kubernetes_secret_v1.event_signing_key.metadata[0].name, key = "event_signing_key" }
  }
  clouds_secret_name = kubernetes_secret_v1.clouds.metadata[0].name

  min_scale  = var.scale.engine.min
  max_scale  = var.scale.engine.max
  visibility = var.internal_visibility

  # Roll after the conductor, which rolls after the migrations.
  depends_on = [module.conductor]
}
