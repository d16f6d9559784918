variables {
  regions = ["RegionOne", "RegionTwo"]
}

run "defaults_tick_every_minute" {
  command = plan

  assert {
    condition     = output.tick_schedule == "* * * * *"
    error_message = "a 60 s tick fires every minute"
  }

  assert {
    condition     = output.reconcile_schedule == "*/5 * * * *"
    error_message = "the default reconcile runs every five minutes"
  }

  assert {
    condition     = output.checker_timeout_seconds > output.tick_period
    error_message = "a checker request outlasts its tick"
  }

  assert {
    condition     = jsondecode(output.tick_data["RegionTwo"]) == { schema_version = 1, region = "RegionTwo", period = 60 }
    error_message = "each region's tick carries its own name and the period"
  }

  assert {
    condition     = jsondecode(output.reconcile_data) == { schema_version = 1, scope = "all" }
    error_message = "the periodic reconcile covers all GSLBs"
  }
}

run "longer_periods" {
  command = plan

  variables {
    tick_period      = 300
    reconcile_period = 7200
  }

  assert {
    condition     = output.tick_schedule == "*/5 * * * *"
    error_message = "a 300 s tick fires every fifth minute"
  }

  assert {
    condition     = output.reconcile_schedule == "0 */2 * * *"
    error_message = "a two-hour reconcile fires every other hour"
  }

  assert {
    condition     = output.checker_timeout_seconds == 330
    error_message = "timeout is the period plus the default 30 s margin"
  }

  assert {
    condition     = jsondecode(output.tick_data["RegionOne"]).period == 300
    error_message = "the tick payload carries the configured period"
  }
}

run "hourly" {
  command = plan

  variables {
    tick_period      = 3600
    reconcile_period = 3600
    max_timeout      = 3700
  }

  assert {
    condition     = output.tick_schedule == "0 * * * *" && output.reconcile_schedule == "0 * * * *"
    error_message = "an hourly period fires at minute 0"
  }
}

run "irregular_tick_is_refused" {
  command = plan

  variables {
    tick_period = 420
  }

  expect_failures = [var.tick_period]
}

run "sub_minute_tick_is_refused" {
  command = plan

  variables {
    tick_period = 30
  }

  expect_failures = [var.tick_period]
}

run "timeout_beyond_knative_limit_is_refused" {
  command = plan

  variables {
    tick_period = 600
  }

  expect_failures = [output.checker_timeout_seconds]
}
