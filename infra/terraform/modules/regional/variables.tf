variable "region" {
  type = object({
    name                    = string
    slug                    = string
    checker_name            = string
    regions_json            = string
    broker_name             = string
    broker_url              = string
    tick_schedule           = string
    tick_data               = string
    tick_period             = number
    checker_timeout_seconds = number
    min_scale               = number
    max_scale               = number
  })
  description = "This region's entry of the regions module's by_region output."

  validation {
    condition     = var.region.checker_timeout_seconds > var.region.tick_period
    error_message = "region.checker_timeout_seconds must exceed the tick period, or batches are cut short."
  }
}

variable "prefix" {
  type        = string
  description = "Prefix of every name this deployment creates (as given to the global module)."
  default     = "kosmos"
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of this region's objects."
  default     = "kosmos"
}

variable "create_namespace" {
  type        = bool
  description = "Create the namespace: true in a region's own cluster, false when sharing the global module's cluster and namespace."
  default     = false
}

variable "image_registry" {
  type        = string
  description = "Registry path the function images were pushed to (the checker runs <registry>/kosmos-checker:<tag>)."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$", var.image_registry))
    error_message = "image_registry must look like host[:port]/path without a trailing slash."
  }
}

variable "image_tag" {
  type        = string
  description = "Tag of the function images; the same release as the global module's."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid image tag other than latest."
  }
}

variable "conductor_url" {
  type        = string
  description = "Where this checker reaches the conductor: the global module's conductor_internal_url in the same cluster, its conductor_url otherwise."

  validation {
    condition     = can(regex("^https?://[^\\s]+$", var.conductor_url))
    error_message = "conductor_url must be an http(s) URL."
  }
}

variable "engine_url" {
  type        = string
  description = "Where this region's broker delivers kosmos.check.results: the global module's engine_internal_url or engine_url."

  validation {
    condition     = can(regex("^https?://[^\\s]+$", var.engine_url))
    error_message = "engine_url must be an http(s) URL."
  }
}

variable "conductor_token" {
  type        = string
  description = "The conductor's shared secret (global module output conductor_token)."
  sensitive   = true

  validation {
    condition     = length(var.conductor_token) >= 32
    error_message = "conductor_token must be at least 32 characters."
  }
}

variable "event_signing_key" {
  type        = string
  description = "The key every function signs its events with (global module output event_signing_key)."
  sensitive   = true

  validation {
    condition     = length(var.event_signing_key) >= 32
    error_message = "event_signing_key must be at least 32 characters."
  }
}

variable "clouds_yaml" {
  type        = string
  description = "clouds.yaml with the functions' application credential (global module output clouds_yaml)."
  sensitive   = true

  validation {
    condition     = can(yamldecode(var.clouds_yaml).clouds)
    error_message = "clouds_yaml must be a clouds.yaml document with a top-level clouds key."
  }
}

variable "cloud_name" {
  type        = string
  description = "Entry of clouds_yaml the checker uses (KOSMOS_CLOUD; Octavia checks ask this region's load-balancer API)."
  default     = "kosmos"
}

variable "batch_size" {
  type        = number
  description = "Most checks in one kosmos.check.batch (KOSMOS_BATCH_SIZE)."
  default     = 2000

  validation {
    condition     = var.batch_size >= 1
    error_message = "batch_size must be >= 1."
  }
}

variable "fold_checks" {
  type        = bool
  description = "Send the checks of one probe in a batch as one spec (KOSMOS_FOLD_CHECKS). Set false on the engine and every region while checkers from before same_probe still run; true again once all are new."
  default     = true
}

variable "max_concurrency" {
  type        = number
  description = "Most probes in flight at once per batch (KOSMOS_MAX_CONCURRENCY)."
  default     = 2000

  validation {
    condition     = var.max_concurrency >= 1
    error_message = "max_concurrency must be >= 1."
  }
}

variable "deny_cidrs" {
  type        = list(string)
  description = "Extra ranges probes may never target (KOSMOS_DENY_CIDRS), e.g. the cluster's pod and service networks."
  default     = []

  validation {
    condition     = alltrue([for c in var.deny_cidrs : can(cidrhost(c, 0))])
    error_message = "deny_cidrs must hold CIDR blocks such as 10.0.0.0/8."
  }
}

variable "allow_cidrs" {
  type        = list(string)
  description = "Ranges probes may target although not globally routable (KOSMOS_ALLOW_CIDRS), e.g. 10.0.0.0/8 for a private GSLB; deny_cidrs wins."
  default     = []

  validation {
    condition     = alltrue([for c in var.allow_cidrs : can(cidrhost(c, 0))])
    error_message = "allow_cidrs must hold CIDR blocks such as 10.0.0.0/8."
  }
}

variable "container_concurrency" {
  type        = number
  description = "Batches one checker instance runs at once (each may hold max_concurrency probes)."
  default     = 2

  validation {
    condition     = var.container_concurrency >= 1
    error_message = "container_concurrency must be >= 1."
  }
}

variable "log_level" {
  type        = string
  description = "Python log level of the checker."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

# --- eventing ----------------------------------------------------------------

variable "broker_class" {
  type        = string
  description = "Knative broker class of the broker(s) this module makes: RabbitMQBroker (default), Kafka, or MTChannelBasedBroker (development only: loses events in flight on a restart)."
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
  description = "The broker's spec.config; null for the class's default (see modules/broker)."
  default     = null
}

variable "rabbitmq_cluster" {
  type = object({
    name      = string
    namespace = string
  })
  description = "The RabbitmqCluster a RabbitMQBroker's quorum queues live on (when broker_config is null)."
  default     = { name = "rabbitmq", namespace = "rabbitmq-system" }
}
