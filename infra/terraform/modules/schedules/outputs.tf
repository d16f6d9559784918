output "tick_schedule" {
  description = "PingSource cron schedule of kosmos.check.tick (UTC)."
  value       = local.tick_schedule
}

output "reconcile_schedule" {
  description = "PingSource cron schedule of kosmos.engine.reconcile (UTC)."
  value       = local.reconcile_schedule
}

output "tick_data" {
  description = "Region => JSON data of its kosmos.check.tick (schema_version, region, period)."
  value       = local.tick_data
}

output "reconcile_data" {
  description = "JSON data of kosmos.engine.reconcile."
  value       = local.reconcile_data
}

output "tick_period" {
  description = "Seconds one tick covers (the period its tick events carry)."
  value       = var.tick_period
}

output "checker_timeout_seconds" {
  description = "Knative timeoutSeconds of the checker: longer than a tick, so a batch can run to its deadline."
  value       = local.checker_timeout_seconds

  precondition {
    condition     = local.checker_timeout_seconds <= var.max_timeout
    error_message = "tick_period + timeout_margin exceeds the cluster's max revision timeout; shorten the tick or raise max-revision-timeout-seconds."
  }
}
