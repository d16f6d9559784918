output "api_url" {
  description = "Public URL of the Kosmos REST API (what users and the CLI call)."
  value       = module.names.public_urls["api"]
}

output "zone_name" {
  description = "The Designate zone the GSLB names live in."
  value       = openstack_dns_zone_v2.gslb.name
}

output "zone_id" {
  description = "Designate id of the zone."
  value       = openstack_dns_zone_v2.gslb.id
}

output "conductor_url" {
  description = "URL checkers use to reach the conductor: cluster-local, or public when internal_visibility is external."
  value       = local.conductor_url
}

output "conductor_internal_url" {
  description = "Cluster-local URL of the conductor (for checkers in the global cluster)."
  value       = module.names.internal_urls["conductor"]
}

output "engine_url" {
  description = "URL regional brokers deliver kosmos.check.results to: cluster-local, or public when internal_visibility is external."
  value       = local.engine_url
}

output "engine_internal_url" {
  description = "Cluster-local URL of the engine (for checkers in the global cluster)."
  value       = module.names.internal_urls["engine"]
}

output "checker_names" {
  description = "Region name => Knative Service name of that region's checker."
  value       = module.names.checker_names
}

output "service_names" {
  description = "Knative Service names of api, conductor and engine."
  value       = module.names.service_names
}

output "images" {
  description = "Container image each global function runs."
  value       = local.images
}

output "migration_job" {
  description = "Name of the Job that ran the database migrations for the current conductor image."
  value       = kubernetes_job_v1.migrate.metadata[0].name
}

output "event_signing_key" {
  description = "Key every function signs its events with (for regional modules in other clusters)."
  value       = random_password.event_signing_key.result
  sensitive   = true
}

output "conductor_token" {
  description = "Shared secret checkers send to the conductor (for regional modules in other clusters)."
  value       = random_password.conductor_token.result
  sensitive   = true
}

output "clouds_yaml" {
  description = "clouds.yaml with the functions' application credential (for regional modules in other clusters)."
  value       = local.clouds_yaml
  sensitive   = true
}

output "cloud_name" {
  description = "Entry of clouds_yaml the functions use (their KOSMOS_CLOUD)."
  value       = local.cloud_name
}

output "catalog_service_id" {
  description = "Keystone id of the gslb service (null when register_catalog is false)."
  value       = var.register_catalog ? openstack_identity_service_v3.gslb[0].id : null
}
