# Fan-out: one object per checker region carrying everything a regional
# module instance needs, plus what the global engine needs about all regions.
module "names" {
  source    = "../naming"
  prefix    = var.prefix
  namespace = var.namespace
  regions   = var.regions
}

module "schedules" {
  source      = "../schedules"
  regions     = var.regions
  tick_period = var.tick_period
  max_timeout = var.max_timeout
}

locals {
  by_region = {
    for r in var.regions : r => {
      name                    = r
      slug                    = module.names.region_slugs[r]
      checker_name            = module.names.checker_names[r]
      regions_json            = jsonencode(var.regions)
      broker_name             = module.names.region_brokers[r]
      broker_url              = module.names.region_broker_urls[r]
      tick_schedule           = module.schedules.tick_schedule
      tick_data               = module.schedules.tick_data[r]
      tick_period             = module.schedules.tick_period
      checker_timeout_seconds = module.schedules.checker_timeout_seconds
      min_scale               = coalesce(try(var.checker_overrides[r].min_scale, null), var.checker_scale.min)
      max_scale               = coalesce(try(var.checker_overrides[r].max_scale, null), var.checker_scale.max)
    }
  }

  # "Down when more than quorum x fresh regions say so": the smallest count.
  regions_to_mark_down = floor(length(var.regions) * var.quorum) + 1
}
