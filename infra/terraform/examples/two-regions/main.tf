module "regions" {
  source  = "../../modules/regions"
  regions = var.regions
}

module "global" {
  source    = "../../modules/global"
  providers = { kubernetes = kubernetes.region_one }

  region       = var.regions[0]
  regions      = module.regions.names
  broker_class = var.broker_class

  image_registry = var.image_registry
  image_tag      = var.image_tag
  public_domain  = var.public_domain

  # The second region's cluster reaches the conductor and engine through the
  # first cluster's ingress (restrict it to that cluster's egress addresses).
  internal_visibility = "external"

  keystone_auth_url    = var.keystone_auth_url
  zone_name            = var.zone_name
  zone_email           = var.zone_email
  db_flavor_id         = var.db_flavor_id
  db_network_id        = var.db_network_id
  db_datastore_version = var.db_datastore_version
}

# Same cluster and namespace as the global part: cluster-local URLs.
module "checker_region_one" {
  source    = "../../modules/regional"
  providers = { kubernetes = kubernetes.region_one }

  region            = module.regions.by_region[var.regions[0]]
  image_registry    = var.image_registry
  image_tag         = var.image_tag
  conductor_url     = module.global.conductor_internal_url
  broker_class      = var.broker_class
  engine_url        = module.global.engine_internal_url
  conductor_token   = module.global.conductor_token
  event_signing_key = module.global.event_signing_key
  clouds_yaml       = module.global.clouds_yaml
  cloud_name        = module.global.cloud_name
  deny_cidrs        = var.deny_cidrs

  depends_on = [module.global]
}

# Its own cluster: its own namespace, public URLs of the conductor and engine.
module "checker_region_two" {
  source    = "../../modules/regional"
  providers = { kubernetes = kubernetes.region_two }

  region            = module.regions.by_region[var.regions[1]]
  create_namespace  = true
  image_registry    = var.image_registry
  image_tag         = var.image_tag
  conductor_url     = module.global.conductor_url
  broker_class      = var.broker_class
  engine_url        = module.global.engine_url
  conductor_token   = module.global.conductor_token
  event_signing_key = module.global.event_signing_key
  clouds_yaml       = module.global.clouds_yaml
  cloud_name        = module.global.cloud_name
  deny_cidrs        = var.deny_cidrs

  depends_on = [module.global]
}
