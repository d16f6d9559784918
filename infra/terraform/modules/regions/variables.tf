variable "prefix" {
  type        = string
  description = "Name prefix of the deployment (see the naming module)."
  default     = "kosmos"
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the Kosmos objects in every cluster."
  default     = "kosmos"
}

variable "regions" {
  type        = list(string)
  description = "OpenStack regions that run a checker. The engine judges members by quorum over these."

  validation {
    condition     = length(var.regions) > 0
    error_message = "regions must name at least one checker region."
  }
}

variable "tick_period" {
  type        = number
  description = "Seconds one kosmos.check.tick covers (see the schedules module for the allowed values)."
  default     = 60
}

variable "max_timeout" {
  type        = number
  description = "The clusters' Knative max-revision-timeout-seconds."
  default     = 600
}

variable "quorum" {
  type        = number
  description = "Share of fresh regions that must report a member down, strictly exceeded (KOSMOS_QUORUM)."
  default     = 0.5

  validation {
    condition     = var.quorum >= 0 && var.quorum < 1
    error_message = "quorum must be in [0, 1)."
  }
}

variable "checker_scale" {
  type = object({
    min = optional(number, 1)
    max = optional(number, 5)
  })
  description = "Default min/max Knative scale of every region's checker (min 1 keeps a warm instance for the minute tick)."
  default     = {}

  validation {
    condition     = var.checker_scale.min >= 0 && var.checker_scale.max >= 1 && var.checker_scale.min <= var.checker_scale.max
    error_message = "checker_scale: need 0 <= min <= max and max >= 1."
  }
}

variable "checker_overrides" {
  type = map(object({
    min_scale = optional(number)
    max_scale = optional(number)
  }))
  description = "Per-region changes to checker_scale, keyed by region name."
  default     = {}

  validation {
    condition     = alltrue([for r in keys(var.checker_overrides) : contains(var.regions, r)])
    error_message = "checker_overrides names a region that is not in regions."
  }
}
