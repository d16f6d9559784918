# Offline tests: the module has no providers, so plan evaluates every output.

variables {
  prefix    = "kosmos"
  namespace = "gslb"
  regions   = ["RegionOne", "region_two", "EU-West.1"]
}

run "names_follow_the_prefix_and_region" {
  command = plan

  assert {
    condition     = output.service_names == { api = "kosmos-api", conductor = "kosmos-conductor", engine = "kosmos-engine" }
    error_message = "service names are <prefix>-<function>"
  }

  assert {
    condition = output.region_slugs == {
      "RegionOne" = "regionone", "region_two" = "region-two", "EU-West.1" = "eu-west-1"
    }
    error_message = "region slugs are lowercase DNS labels"
  }

  assert {
    condition     = output.checker_names["region_two"] == "kosmos-checker-region-two"
    error_message = "checker names are <prefix>-checker-<slug>"
  }

  assert {
    condition     = output.region_brokers["EU-West.1"] == "kosmos-eu-west-1"
    error_message = "region brokers are <prefix>-<slug>"
  }
}

run "urls_use_namespace_and_domains" {
  command = plan

  variables {
    public_domain = "gslb.example.org"
  }

  assert {
    condition     = output.internal_urls["conductor"] == "http://kosmos-conductor.gslb.svc.cluster.local"
    error_message = "the conductor's cluster-local URL is http://<svc>.<ns>.svc.<cluster domain>"
  }

  assert {
    condition     = output.public_urls["api"] == "https://kosmos-api.gslb.gslb.example.org"
    error_message = "the api's public URL follows Knative's default domain template"
  }

  assert {
    condition     = output.region_broker_urls["RegionOne"] == "http://broker-ingress.knative-eventing.svc.cluster.local/gslb/kosmos-regionone"
    error_message = "broker URLs go through the multi-tenant broker ingress"
  }

  assert {
    condition     = output.global_broker_url == "http://broker-ingress.knative-eventing.svc.cluster.local/gslb/kosmos"
    error_message = "the global broker is named after the prefix"
  }
}

run "long_region_names_stay_valid_labels" {
  command = plan

  variables {
    prefix  = "kosmos-prod-eu01"
    regions = ["A-Very-Long-Region-Name-That-Goes-On-And-On-Forever"]
  }

  assert {
    condition     = length(output.checker_names["A-Very-Long-Region-Name-That-Goes-On-And-On-Forever"]) <= 57
    error_message = "checker names leave room for Knative's revision suffix"
  }

  assert {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", output.checker_names["A-Very-Long-Region-Name-That-Goes-On-And-On-Forever"]))
    error_message = "checker names are DNS labels (no trailing '-')"
  }
}

run "colliding_region_slugs_are_refused" {
  command = plan

  variables {
    regions = ["Region.One", "region-one"]
  }

  expect_failures = [output.region_slugs]
}

run "duplicate_regions_are_refused" {
  command = plan

  variables {
    regions = ["RegionOne", "RegionOne"]
  }

  expect_failures = [var.regions]
}

run "bad_prefix_is_refused" {
  command = plan

  variables {
    prefix = "Kosmos_"
  }

  expect_failures = [var.prefix]
}
