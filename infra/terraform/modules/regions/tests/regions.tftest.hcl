variables {
  prefix  = "kosmos"
  regions = ["RegionOne", "RegionTwo", "RegionThree"]
}

run "one_entry_per_region" {
  command = plan

  assert {
    condition     = keys(output.by_region) == ["RegionOne", "RegionThree", "RegionTwo"]
    error_message = "every region gets exactly one entry"
  }

  assert {
    condition     = output.by_region["RegionTwo"].checker_name == "kosmos-checker-regiontwo"
    error_message = "the entry names the region's checker"
  }

  assert {
    condition     = jsondecode(output.by_region["RegionThree"].tick_data).region == "RegionThree"
    error_message = "a region's tick names that region, not another"
  }

  assert {
    condition     = output.by_region["RegionOne"].broker_url == "http://broker-ingress.knative-eventing.svc.cluster.local/kosmos/kosmos-regionone"
    error_message = "the checker publishes to its own region's broker"
  }

  assert {
    condition     = jsondecode(output.regions_json) == ["RegionOne", "RegionTwo", "RegionThree"]
    error_message = "the engine learns all regions"
  }

  assert {
    condition     = output.checker_names == { for r, c in output.by_region : r => c.checker_name }
    error_message = "checker_names agrees with by_region"
  }
}

run "majority_quorum" {
  command = plan

  assert {
    condition     = output.regions_to_mark_down == 2
    error_message = "with three regions and quorum 0.5, two must agree"
  }
}

run "two_regions_need_both" {
  command = plan

  variables {
    regions = ["RegionOne", "RegionTwo"]
  }

  assert {
    condition     = output.regions_to_mark_down == 2
    error_message = "with two regions a strict majority is both: one cut-off region cannot pull an endpoint"
  }
}

run "per_region_scale_overrides" {
  command = plan

  variables {
    checker_scale     = { min = 1, max = 4 }
    checker_overrides = { RegionTwo = { max_scale = 10 } }
  }

  assert {
    condition     = output.by_region["RegionTwo"].max_scale == 10 && output.by_region["RegionTwo"].min_scale == 1
    error_message = "an override changes only what it names"
  }

  assert {
    condition     = output.by_region["RegionOne"].max_scale == 4
    error_message = "other regions keep the default scale"
  }
}

run "override_for_unknown_region_is_refused" {
  command = plan

  variables {
    checker_overrides = { Atlantis = { max_scale = 2 } }
  }

  expect_failures = [var.checker_overrides]
}

run "inverted_override_is_refused" {
  command = plan

  variables {
    checker_overrides = { RegionOne = { min_scale = 6 } }
  }

  expect_failures = [output.by_region]
}

run "no_region_is_refused" {
  command = plan

  variables {
    regions = []
  }

  expect_failures = [var.regions]
}
