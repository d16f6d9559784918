# Cron expressions and payloads of the PingSources, and the request timeout
# that must outlast one tick: pure arithmetic, tested offline.
locals {
  tick_minutes      = floor(var.tick_period / 60)
  reconcile_minutes = floor(var.reconcile_period / 60)

  tick_schedule = (local.tick_minutes == 1 ? "* * * * *" :
  local.tick_minutes < 60 ? "*/${local.tick_minutes} * * * *" : "0 * * * *")

  reconcile_schedule = (local.reconcile_minutes == 1 ? "* * * * *" :
    local.reconcile_minutes < 60 ? "*/${local.reconcile_minutes} * * * *" :
  local.reconcile_minutes == 60 ? "0 * * * *" : "0 */${floor(local.reconcile_minutes / 60)} * * *")

  # The checker fills scheduled_at from the event's time; the payload carries
  # the rest of kosmos.contracts.events.CheckTick.
  tick_data = {
    for r in var.regions : r => jsonencode({ schema_version = 1, region = r, period = var.tick_period })
  }
  reconcile_data = jsonencode({ schema_version = 1, scope = "all" })

  checker_timeout_seconds = var.tick_period + var.timeout_margin
}
