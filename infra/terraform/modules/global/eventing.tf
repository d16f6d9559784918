# The global broker: kosmos.engine.reconcile from cron (and its shards from the
# engine), kosmos.engine.decide from the conductor, and kosmos.check.results from
# checkers that publish here, all to the engine.
#
# A PingSource always emits type dev.knative.sources.ping (ceOverrides may add
# extensions but not change the type), so its events carry the Kosmos type in
# the `kosmostype` extension and triggers match on both.
locals {
  ping_type = "dev.knative.sources.ping"

  engine_ref = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    name       = module.engine.name
  }

  # Each trigger's delivery: retries, and how long one attempt may take, from the
  # work its subscriber really does; exhausted events go to the dead-letter sink.
  engine_delivery = {
    # results and users' changes: a decision and a publish, seconds at most
    events = {
      retry          = 5, backoffPolicy = "exponential", backoffDelay = "PT1S", timeout = "PT60S",
      deadLetterSink = module.broker.dead_letter_sink
    }
    # a reconcile (or one shard of it): reads a zone listing and repairs drift
    reconcile = {
      retry          = 3, backoffPolicy = "exponential", backoffDelay = "PT5S", timeout = "PT600S",
      deadLetterSink = module.broker.dead_letter_sink
    }
  }
}

module "broker" {
  source = "../broker"

  name             = module.names.global_broker
  namespace        = local.namespace
  broker_class     = var.broker_class
  broker_config    = var.broker_config
  rabbitmq_cluster = var.rabbitmq_cluster
  delivery         = { retry = 5, backoff_policy = "exponential", backoff_delay = "PT1S", timeout = "PT60S" }
  # The conductor stores dead letters; it is in this cluster.
  dead_letter_uri = "${trimsuffix(module.names.internal_urls["conductor"], "/")}/v1/dead_letters"
}

resource "kubernetes_manifest" "reconcile_source" {
  manifest = {
    apiVersion = "sources.knative.dev/v1"
    kind       = "PingSource"
    metadata = {
      name      = "${var.prefix}-reconcile"
      namespace = local.namespace
    }
    spec = {
      schedule    = module.schedules.reconcile_schedule
      timezone    = "Etc/UTC"
      contentType = "application/json"
      data        = module.schedules.reconcile_data
      ceOverrides = { extensions = { kosmostype = "kosmos.engine.reconcile" } }
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

resource "kubernetes_manifest" "trigger_reconcile" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.prefix}-engine-reconcile"
      namespace = local.namespace
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = local.ping_type, kosmostype = "kosmos.engine.reconcile" } }
      subscriber = { ref = local.engine_ref }
      delivery   = local.engine_delivery.reconcile
    }
  }
}

# A reconcile's shards, sent by the engine itself (plain kosmos.engine.reconcile events,
# not pings): any engine instance takes each.
resource "kubernetes_manifest" "trigger_reconcile_shards" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.prefix}-engine-reconcile-shards"
      namespace = local.namespace
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = "kosmos.engine.reconcile" } }
      subscriber = { ref = local.engine_ref }
      delivery   = local.engine_delivery.reconcile
    }
  }
}

resource "kubernetes_manifest" "trigger_decide" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.prefix}-engine-decide"
      namespace = local.namespace
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = "kosmos.engine.decide" } }
      subscriber = { ref = local.engine_ref }
      delivery   = local.engine_delivery.events
    }
  }
}

resource "kubernetes_manifest" "trigger_results" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.prefix}-engine-results"
      namespace = local.namespace
    }
    spec = {
      broker     = module.broker.name
      filter     = { attributes = { type = "kosmos.check.results" } }
      subscriber = { ref = local.engine_ref }
      delivery   = local.engine_delivery.events
    }
  }
}
