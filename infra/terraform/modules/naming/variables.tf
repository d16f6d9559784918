variable "prefix" {
  type        = string
  description = "Prefix of every Kubernetes and OpenStack name of this deployment (a DNS label, at most 16 characters)."
  default     = "kosmos"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$", var.prefix))
    error_message = "prefix must be a lowercase DNS label of 1 to 16 characters (a-z, 0-9, '-'), starting with a letter."
  }
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace the functions, brokers and sources live in."
  default     = "kosmos"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a lowercase DNS label of at most 63 characters."
  }
}

variable "regions" {
  type        = list(string)
  description = "OpenStack regions that run a checker, as Kosmos names them (e.g. RegionOne)."
  default     = []

  validation {
    condition     = alltrue([for r in var.regions : can(regex("^[A-Za-z0-9_.-]{1,255}$", r))])
    error_message = "regions: each region name must match ^[A-Za-z0-9_.-]{1,255}$ (the Region type of the contracts)."
  }

  validation {
    condition     = length(distinct(var.regions)) == length(var.regions)
    error_message = "regions: a region is listed more than once."
  }
}

variable "public_domain" {
  type        = string
  description = "Knative Serving domain (config-domain) under which external services get <name>.<namespace>.<domain>."
  default     = "example.com"

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$", var.public_domain))
    error_message = "public_domain must be a lowercase DNS name without a trailing dot."
  }
}

variable "public_scheme" {
  type        = string
  description = "Scheme of external URLs: https when Knative has TLS for external domains, else http."
  default     = "https"

  validation {
    condition     = contains(["http", "https"], var.public_scheme)
    error_message = "public_scheme must be http or https."
  }
}

variable "cluster_domain" {
  type        = string
  description = "Kubernetes cluster DNS domain used in cluster-local URLs."
  default     = "cluster.local"

  validation {
    condition     = length(var.cluster_domain) > 0 && !endswith(var.cluster_domain, ".")
    error_message = "cluster_domain must be a non-empty DNS name without a trailing dot."
  }
}

variable "broker_ingress_host" {
  type        = string
  description = "Host of the Knative Eventing multi-tenant broker ingress (brokers are reached at http://<host>/<namespace>/<broker>)."
  default     = "broker-ingress.knative-eventing.svc.cluster.local"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?$", var.broker_ingress_host))
    error_message = "broker_ingress_host must be a host name, optionally with :port."
  }
}
