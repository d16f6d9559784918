output "api_url" {
  description = "Public URL of the Kosmos API."
  value       = module.global.api_url
}

output "zone_name" {
  description = "Designate zone of the GSLB names."
  value       = module.global.zone_name
}

output "checker_names" {
  description = "Region name => Knative Service name of its checker."
  value = {
    (module.checker_region_one.region) = module.checker_region_one.checker_name
    (module.checker_region_two.region) = module.checker_region_two.checker_name
  }
}

output "regions_to_mark_down" {
  description = "Fresh regions that must agree before a member is taken down."
  value       = module.regions.regions_to_mark_down
}

output "images" {
  description = "Container image of each function."
  value       = merge(module.global.images, { checker = module.checker_region_one.image })
}

output "migration_job" {
  description = "The Job that migrated the database for this release."
  value       = module.global.migration_job
}
