# --- where ------------------------------------------------------------------

variable "region" {
  type        = string
  description = "OpenStack region of the global part: Trove instance, Designate zone and application credential."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,255}$", var.region))
    error_message = "region must match ^[A-Za-z0-9_.-]{1,255}$."
  }
}

variable "regions" {
  type        = list(string)
  description = "All checker regions (the engine's KOSMOS_REGIONS: quorum, rechecks, breaker suspects); usually the names output of the regions module."

  validation {
    condition     = length(var.regions) > 0 && length(distinct(var.regions)) == length(var.regions)
    error_message = "regions must list at least one region, each once."
  }
}

variable "prefix" {
  type        = string
  description = "Prefix of every name this deployment creates."
  default     = "kosmos"
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the global functions, broker and secrets."
  default     = "kosmos"
}

variable "create_namespace" {
  type        = bool
  description = "Create the namespace (false when it exists or is managed elsewhere)."
  default     = true
}

variable "public_domain" {
  type        = string
  description = "Knative Serving domain of the cluster; the api is served at <prefix>-api.<namespace>.<public_domain>."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.public_domain))
    error_message = "public_domain must be a lowercase DNS name without a trailing dot, e.g. gslb.example.org."
  }
}

variable "internal_visibility" {
  type        = string
  description = "Visibility of the conductor and engine: cluster-local when every checker runs in this cluster; external when regional clusters must reach them (then restrict the ingress to those clusters)."
  default     = "cluster-local"

  validation {
    condition     = contains(["cluster-local", "external"], var.internal_visibility)
    error_message = "internal_visibility must be cluster-local or external."
  }
}

# --- images -----------------------------------------------------------------

variable "image_registry" {
  type        = string
  description = "Registry path the function images were pushed to, e.g. registry.example.org/kosmos (images are <registry>/kosmos-<function>:<tag>)."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$", var.image_registry))
    error_message = "image_registry must look like host[:port]/path without a trailing slash."
  }
}

variable "image_tag" {
  type        = string
  description = "Tag of the function images (the release, e.g. 0.1.0); never latest."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid image tag other than latest."
  }
}

# --- database (Trove) -------------------------------------------------------

variable "db_flavor_id" {
  type        = string
  description = "Nova flavor id of the Trove instance."

  validation {
    condition     = length(var.db_flavor_id) > 0
    error_message = "db_flavor_id must not be empty."
  }
}

variable "db_network_id" {
  type        = string
  description = "Neutron network UUID the Trove instance attaches to (reachable from the cluster)."

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.db_network_id))
    error_message = "db_network_id must be a Neutron network UUID."
  }
}

variable "db_security_group_ids" {
  type        = list(string)
  description = "Security groups of the database port (allow 5432 from the cluster nodes); empty for the project default."
  default     = []
}

variable "db_datastore_version" {
  type        = string
  description = "Trove postgresql datastore version, as `openstack datastore version list postgresql` shows it."

  validation {
    condition     = length(var.db_datastore_version) > 0
    error_message = "db_datastore_version must not be empty."
  }
}

variable "db_volume_size" {
  type        = number
  description = "Size in GB of the Trove volume."
  default     = 10

  validation {
    condition     = var.db_volume_size >= 1 && var.db_volume_size <= 2000
    error_message = "db_volume_size must be between 1 and 2000 GB."
  }
}

variable "db_name" {
  type        = string
  description = "PostgreSQL database of Kosmos."
  default     = "kosmos"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must be a lowercase PostgreSQL identifier."
  }
}

variable "db_user" {
  type        = string
  description = "PostgreSQL user the conductor connects as (its password is generated)."
  default     = "kosmos"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.db_user))
    error_message = "db_user must be a lowercase PostgreSQL identifier."
  }
}

variable "db_pool_size" {
  type        = number
  description = "Connections per warm conductor instance, opened after its first call, kept open and never exceeded (KOSMOS_DATABASE_POOL_SIZE); mind max_scale x pool size against the server's max_connections."
  default     = 5

  validation {
    condition     = var.db_pool_size >= 1 && var.db_pool_size <= 100
    error_message = "db_pool_size must be between 1 and 100."
  }
}

# --- DNS (Designate) --------------------------------------------------------

variable "zone_name" {
  type        = string
  description = "Designate zone the GSLB names live in, with the trailing dot (e.g. gslb.example.org.)."

  validation {
    condition     = can(regex("^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+$", var.zone_name))
    error_message = "zone_name must be a DNS name ending with a dot."
  }
}

variable "zone_email" {
  type        = string
  description = "Contact e-mail of the zone (SOA)."

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.zone_email))
    error_message = "zone_email must be an e-mail address."
  }
}

variable "zone_ttl" {
  type        = number
  description = "Default TTL of the zone in seconds."
  default     = 300

  validation {
    condition     = var.zone_ttl >= 30 && var.zone_ttl <= 86400
    error_message = "zone_ttl must be between 30 and 86400 seconds."
  }
}

# --- identity ---------------------------------------------------------------

variable "keystone_auth_url" {
  type        = string
  description = "Keystone v3 URL: the api validates tokens against it and the functions authenticate there."

  validation {
    condition     = can(regex("^https?://[^\\s]+$", var.keystone_auth_url))
    error_message = "keystone_auth_url must be an http(s) URL."
  }
}

variable "auth_strategy" {
  type        = string
  description = "keystone validates X-Auth-Token; noauth trusts X-Project-Id (tests only, never in production)."
  default     = "keystone"

  validation {
    condition     = contains(["keystone", "noauth"], var.auth_strategy)
    error_message = "auth_strategy must be keystone or noauth."
  }
}

variable "app_credential_roles" {
  type        = list(string)
  description = "Roles of the functions' application credential in the current project: member (Designate records), load-balancer_global_observer (Octavia status of the tenants' load balancers, read-only; Kosmos uses one only when it belongs to the member's project), service (Keystone's identity:validate_token). The deploying user must hold them all."
  default     = ["member", "load-balancer_global_observer", "service"]

  validation {
    condition     = length(var.app_credential_roles) > 0
    error_message = "app_credential_roles must name at least one role."
  }
}

variable "app_credential_expires_at" {
  type        = string
  description = "RFC 3339 expiry of the application credential; null for none (rotate by tainting it)."
  default     = null

  validation {
    condition     = var.app_credential_expires_at == null || can(timeadd(var.app_credential_expires_at, "0s"))
    error_message = "app_credential_expires_at must be an RFC 3339 timestamp, e.g. 2027-01-01T00:00:00Z."
  }
}

# --- behaviour --------------------------------------------------------------

variable "appliance" {
  type        = string
  description = "GSLB appliance driver the engine uses by default (entry point in kosmos.appliances)."
  default     = "designate"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]*$", var.appliance))
    error_message = "appliance must be an entry point name (lowercase, digits, underscores)."
  }
}

variable "quorum" {
  type        = number
  description = "A member is down when more than this share of fresh regions say so (KOSMOS_QUORUM)."
  default     = 0.5

  validation {
    condition     = var.quorum >= 0 && var.quorum < 1
    error_message = "quorum must be in [0, 1)."
  }
}

variable "fold_checks" {
  type        = bool
  description = "Send the checks of one probe in a batch as one spec (KOSMOS_FOLD_CHECKS). Set false on the engine and every region while checkers from before same_probe still run; true again once all are new."
  default     = true
}

variable "stale_intervals" {
  type        = number
  description = "A region's verdict expires after this many monitor delays (KOSMOS_STALE_INTERVALS)."
  default     = 3

  validation {
    condition     = var.stale_intervals > 0
    error_message = "stale_intervals must be > 0."
  }
}

variable "reconcile_period" {
  type        = number
  description = "Seconds between kosmos.engine.reconcile events (see the schedules module for allowed values)."
  default     = 300
}

variable "log_level" {
  type        = string
  description = "Python log level of the functions."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "scale" {
  type = object({
    api       = optional(object({ min = number, max = number }), { min = 1, max = 10 })
    conductor = optional(object({ min = number, max = number }), { min = 1, max = 10 })
    engine    = optional(object({ min = number, max = number }), { min = 1, max = 5 })
  })
  description = "Knative min/max scale per global function."
  default     = {}

  validation {
    condition     = alltrue([for s in [var.scale.api, var.scale.conductor, var.scale.engine] : s.min >= 0 && s.max >= 1 && s.min <= s.max])
    error_message = "scale: each function needs 0 <= min <= max and max >= 1."
  }
}

variable "migration_timeout" {
  type        = string
  description = "How long terraform waits for the database migration Job."
  default     = "15m"

  validation {
    condition     = can(regex("^[0-9]+[smh]$", var.migration_timeout))
    error_message = "migration_timeout must be a duration like 15m."
  }
}

variable "register_catalog" {
  type        = bool
  description = "Register the gslb service and its endpoints in the Keystone catalog (needs the admin role)."
  default     = true
}

variable "catalog_service_name" {
  type        = string
  description = "Name of the gslb service in the Keystone catalog."
  default     = "kosmos"
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.catalog_service_name))
    error_message = "catalog_service_name must be 1 to 64 letters, digits, '.', '_' or '-'."
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
