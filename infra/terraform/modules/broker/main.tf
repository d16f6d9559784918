# One Knative Broker of a durable class, with its dead-letter sink.
#
# Knative's default broker class is backed by the InMemoryChannel, which Knative
# documents as unfit for production: a restart of its dispatcher loses what it
# holds. RabbitMQBroker keeps events in quorum queues; Kafka in topics. Events
# that exhaust their retries go to Kosmos's dead-letter receiver, which stores them
# (with Knative's knativeerrordest/knativeerrorcode/knativeerrordata extensions) for
# GET /v1/dead_letters.
locals {
  default_config = {
    RabbitMQBroker = {
      apiVersion = "eventing.knative.dev/v1alpha1"
      kind       = "RabbitmqBrokerConfig"
      name       = "${var.name}-config"
      namespace  = var.namespace
    }
    Kafka = {
      apiVersion = "v1"
      kind       = "ConfigMap"
      name       = "kafka-broker-config"
      namespace  = "knative-eventing"
    }
    MTChannelBasedBroker = null
  }

  config = var.broker_config == null ? local.default_config[var.broker_class] : {
    apiVersion = var.broker_config.api_version
    kind       = var.broker_config.kind
    name       = var.broker_config.name
    namespace  = var.broker_config.namespace
  }

  make_rabbitmq_config = var.broker_class == "RabbitMQBroker" && var.broker_config == null

  dead_letter_sink = { uri = var.dead_letter_uri }

  delivery = {
    retry          = var.delivery.retry
    backoffPolicy  = var.delivery.backoff_policy
    backoffDelay   = var.delivery.backoff_delay
    timeout        = var.delivery.timeout
    deadLetterSink = local.dead_letter_sink
  }
}

resource "kubernetes_manifest" "rabbitmq_config" {
  count = local.make_rabbitmq_config ? 1 : 0

  manifest = {
    apiVersion = "eventing.knative.dev/v1alpha1"
    kind       = "RabbitmqBrokerConfig"
    metadata = {
      name      = "${var.name}-config"
      namespace = var.namespace
      labels    = var.labels
    }
    spec = {
      rabbitmqClusterReference = {
        name      = var.rabbitmq_cluster.name
        namespace = var.rabbitmq_cluster.namespace
      }
      # Replicated and durable: a RabbitMQ node restart loses nothing.
      queueType = "quorum"
    }
  }
}

resource "kubernetes_manifest" "broker" {
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Broker"
    metadata = {
      name      = var.name
      namespace = var.namespace
      labels    = var.labels
      annotations = {
        "eventing.knative.dev/broker.class" = var.broker_class
      }
    }
    spec = merge(
      { delivery = local.delivery },
      local.config == null ? {} : { config = local.config },
    )
  }

  depends_on = [kubernetes_manifest.rabbitmq_config]
}
