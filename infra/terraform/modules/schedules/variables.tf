variable "regions" {
  type        = list(string)
  description = "Checker regions; each gets its own kosmos.check.tick payload."
  default     = []
}

variable "tick_period" {
  type        = number
  description = "Seconds one kosmos.check.tick covers (the period its tick events carry). A whole number of minutes that divides an hour, or one hour."
  default     = 60

  validation {
    condition     = var.tick_period >= 60 && var.tick_period <= 3600 && var.tick_period % 60 == 0 && (60 % (var.tick_period / 60) == 0)
    error_message = "tick_period must be 60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800 or 3600 seconds: cron fires on whole minutes and every tick must cover the same span."
  }
}

variable "reconcile_period" {
  type        = number
  description = "Seconds between two kosmos.engine.reconcile events. A whole number of minutes that divides an hour, or whole hours that divide a day."
  default     = 300

  validation {
    condition = var.reconcile_period >= 60 && var.reconcile_period % 60 == 0 && (
      (var.reconcile_period < 3600 && 60 % (var.reconcile_period / 60) == 0) ||
      (var.reconcile_period % 3600 == 0 && var.reconcile_period <= 86400 && 24 % (var.reconcile_period / 3600) == 0)
    )
    error_message = "reconcile_period must be whole minutes dividing an hour (60..1800 s) or whole hours dividing a day (3600..86400 s)."
  }
}

variable "timeout_margin" {
  type        = number
  description = "Seconds a checker request may run beyond its tick period (a batch runs until its deadline, then publishes)."
  default     = 30

  validation {
    condition     = var.timeout_margin >= 5 && var.timeout_margin <= 600
    error_message = "timeout_margin must be between 5 and 600 seconds."
  }
}

variable "max_timeout" {
  type        = number
  description = "The cluster's Knative max-revision-timeout-seconds (600 unless the operator raised it)."
  default     = 600

  validation {
    condition     = var.max_timeout >= 60
    error_message = "max_timeout must be at least 60 seconds."
  }
}
