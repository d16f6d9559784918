output "service_names" {
  description = "Knative Service name of each global function (api, conductor, engine)."
  value       = local.service_names
}

output "region_slugs" {
  description = "Region name => the DNS-label form used inside Kubernetes names."
  value       = local.region_slugs

  precondition {
    condition     = alltrue([for s in values(local.region_slugs) : length(s) > 0])
    error_message = "A region name has no letter or digit, so it cannot name a Kubernetes object."
  }

  precondition {
    condition     = length(distinct(values(local.region_slugs))) == length(local.region_slugs)
    error_message = "Two regions map to the same Kubernetes name (names are lowercased, runs of other characters become '-', and cut at 30 characters)."
  }
}

output "checker_names" {
  description = "Region name => Knative Service name of that region's checker."
  value       = local.checker_names
}

output "checker_internal_urls" {
  description = "Region name => cluster-local URL of that region's checker."
  value       = local.checker_internal_urls
}

output "internal_urls" {
  description = "Function => cluster-local URL (http://<name>.<namespace>.svc.<cluster domain>)."
  value       = local.internal_urls
}

output "public_urls" {
  description = "Function => external URL under the Knative domain."
  value       = local.public_urls
}

output "global_broker" {
  description = "Name of the broker that carries kosmos.engine.reconcile (and results from checkers in the global cluster)."
  value       = local.global_broker
}

output "global_broker_url" {
  description = "Ingress URL of the global broker."
  value       = local.global_broker_url
}

output "region_brokers" {
  description = "Region name => name of that region's broker (ticks, batches and results of its checker)."
  value       = local.region_brokers
}

output "region_broker_urls" {
  description = "Region name => ingress URL of that region's broker (the checker's KOSMOS_BROKER_URL)."
  value       = local.region_broker_urls
}

output "secrets" {
  description = "Names of the Kubernetes Secrets: database (database_url), conductor_token, clouds (clouds.yaml)."
  value       = local.secrets
}

output "migration_job_prefix" {
  description = "Prefix of the database migration Job names (a hash of the conductor image follows)."
  value       = "${var.prefix}-migrate"
}
