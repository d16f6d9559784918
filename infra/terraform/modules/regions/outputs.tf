output "by_region" {
  description = "Region name => settings of that region's checker deployment (pass one to the regional module)."
  value       = local.by_region

  precondition {
    condition     = alltrue([for c in values(local.by_region) : c.min_scale <= c.max_scale && c.max_scale >= 1])
    error_message = "checker_overrides leave a region with min_scale > max_scale or max_scale < 1."
  }
}

output "names" {
  description = "Checker region names, in the order given."
  value       = var.regions
}

output "regions_json" {
  description = "KOSMOS_REGIONS for the engine: the region names as a JSON list."
  value       = jsonencode(var.regions)
}

output "checker_names" {
  description = "Region name => Knative Service name of its checker."
  value       = module.names.checker_names
}

output "regions_to_mark_down" {
  description = "How many regions with a fresh verdict must agree before a member is taken down (all regions fresh)."
  value       = local.regions_to_mark_down
}
