# This region's broker. Ticks and batches stay in the region (they go to this
# region's checker only); results go on to the engine.
#
# A PingSource always emits type dev.knative.sources.ping; the Kosmos type
# rides in the `kosmostype` extension (ceOverrides cannot change the type).
locals {
  checker_ref = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    name       = module.checker.name
  }
}

module "broker" {
  source = "../broker"

  name             = var.region.broker_name
  namespace        = local.namespace
  labels           = local.labels
  broker_class     = var.broker_class
  broker_config    = var.broker_config
  rabbitmq_cluster = var.rabbitmq_cluster
  delivery         = { retry = 5, backoff_policy = "exponential", backoff_delay = "PT1S", timeout = "PT60S" }
  dead_letter_uri  = "${trimsuffix(var.conductor_url, "/")}/v1/dead_letters"
}

locals {
  # A batch's request lasts its window and a little more; a results event reaches the
  # engine, which decides and publishes (seconds at most).
  batch_timeout = "PT${var.region.checker_timeout_seconds}S"
}

resource "kubernetes_manifest" "tick_source" {
  manifest = {
    apiVersion = "sources.knative.dev/v1"
    kind       = "PingSource"
    metadata = {
      name      = "${var.region.checker_name}-tick"
      namespace = local.namespace
      labels    = local.labels
    }
    spec = {
      schedule    = var.region.tick_schedule
      timezone    = "Etc/UTC"
      contentType = "application/json"
      data        = var.region.tick_data
      ceOverrides = { extensions = { kosmostype = "kosmos.check.tick", kosmosregion = var.region.slug } }
      sink = {
        ref = {
          apiVersion = "eventing.knative.dev/v1"
          kind       = "Broker"
          name       = module.broker.name
        }
      }
    }
  }
}

resource "kubernetes_manifest" "trigger_tick" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.region.broker_name}-tick"
      namespace = local.namespace
      labels    = local.labels
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = local.ping_type, kosmostype = "kosmos.check.tick" } }
      subscriber = { ref = local.checker_ref }
      # A tick retried after its minute is only a late duplicate: few retries.
      delivery = {
        retry          = 2, backoffPolicy = "linear", backoffDelay = "PT2S", timeout = "PT30S",
        deadLetterSink = module.broker.dead_letter_sink
      }
    }
  }
}

resource "kubernetes_manifest" "trigger_batch" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.region.broker_name}-batch"
      namespace = local.namespace
      labels    = local.labels
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = "kosmos.check.batch" } }
      subscriber = { ref = local.checker_ref }
      # A late batch is skipped by its deadline: one retry is enough.
      delivery = {
        retry          = 1, backoffPolicy = "linear", backoffDelay = "PT1S", timeout = local.batch_timeout,
        deadLetterSink = module.broker.dead_letter_sink
      }
    }
  }
}

resource "kubernetes_manifest" "trigger_results" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.region.broker_name}-results"
      namespace = local.namespace
      labels    = local.labels
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = "kosmos.check.results" } }
      subscriber = { uri = var.engine_url }
      delivery = {
        retry          = 5, backoffPolicy = "exponential", backoffDelay = "PT1S", timeout = "PT60S",
        deadLetterSink = module.broker.dead_letter_sink
      }
    }
  }
}
