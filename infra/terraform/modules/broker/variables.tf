variable "name" {
  type        = string
  description = "Name of the Broker."

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.name))
    error_message = "name must be a DNS label."
  }
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the Broker (and of its RabbitmqBrokerConfig)."

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the Broker."
  default     = {}
}

variable "broker_class" {
  type        = string
  description = "Knative broker class: RabbitMQBroker (durable quorum queues, the default), Kafka (durable topics), or MTChannelBasedBroker (Knative's default, development only: its InMemoryChannel loses every event in flight when it restarts)."
  default     = "RabbitMQBroker"

  validation {
    condition     = contains(["RabbitMQBroker", "Kafka", "MTChannelBasedBroker"], var.broker_class)
    error_message = "broker_class must be RabbitMQBroker, Kafka or MTChannelBasedBroker."
  }
}

variable "broker_config" {
  type = object({
    api_version = string
    kind        = string
    name        = string
    namespace   = string
  })
  description = "The broker's spec.config. Null: a RabbitmqBrokerConfig made here on rabbitmq_cluster (RabbitMQBroker), Knative's kafka-broker-config ConfigMap in knative-eventing (Kafka), none (MTChannelBasedBroker)."
  default     = null
}

variable "rabbitmq_cluster" {
  type = object({
    name      = string
    namespace = string
  })
  description = "The RabbitmqCluster (RabbitMQ cluster operator) a RabbitMQBroker's queues live on, when broker_config is null."
  default     = { name = "rabbitmq", namespace = "rabbitmq-system" }
}

variable "delivery" {
  type = object({
    retry          = number
    backoff_policy = string
    backoff_delay  = string
    timeout        = string
  })
  description = "The broker's default delivery (triggers may set their own): retries, backoff, and the time one attempt may take (ISO 8601 durations)."

  validation {
    condition     = var.delivery.retry >= 0 && contains(["linear", "exponential"], var.delivery.backoff_policy)
    error_message = "delivery.retry must be >= 0 and backoff_policy linear or exponential."
  }
}

variable "dead_letter_uri" {
  type        = string
  description = "Where events that exhaust their retries go: Kosmos's dead-letter receiver (the conductor's /v1/dead_letters), which keeps them for GET /v1/dead_letters."

  validation {
    condition     = can(regex("^https?://[^\\s]+/v1/dead_letters$", var.dead_letter_uri))
    error_message = "dead_letter_uri must be an http(s) URL ending in /v1/dead_letters."
  }
}
