output "region" {
  description = "The region this module deployed a checker for."
  value       = var.region.name
}

output "checker_name" {
  description = "Knative Service name of this region's checker."
  value       = module.checker.name
}

output "broker_name" {
  description = "Name of this region's broker."
  value       = module.broker.name
}

output "image" {
  description = "Container image the checker runs."
  value       = local.image
}
