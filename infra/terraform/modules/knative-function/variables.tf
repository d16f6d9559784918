variable "name" {
  type        = string
  description = "Knative Service name (a DNS label short enough for Knative's revision suffix)."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,55}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase DNS label of at most 57 characters."
  }
}

variable "namespace" {
  type        = string
  description = "Kubernetes namespace of the service."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a lowercase DNS label of at most 63 characters."
  }
}

variable "function" {
  type        = string
  description = "Which Kosmos function the image runs (api, conductor, checker, engine); used as a label."

  validation {
    condition     = contains(["api", "conductor", "checker", "engine"], var.function)
    error_message = "function must be one of api, conductor, checker, engine."
  }
}

variable "image" {
  type        = string
  description = "Container image built from build/functions/<function> by scripts/package-functions.sh (tag or digest)."

  validation {
    condition     = can(regex("^[^\\s]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image must carry an explicit tag other than latest, or a sha256 digest, so a deployment is reproducible."
  }
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables (KOSMOS_<FIELD> settings)."
  default     = {}
}

variable "secret_env" {
  type = map(object({
    secret = string
    key    = string
  }))
  description = "Environment variables read from Kubernetes Secrets: NAME => {secret, key}."
  default     = {}
}

variable "clouds_secret_name" {
  type        = string
  description = "Secret whose key clouds.yaml is mounted read-only as /etc/openstack/clouds.yaml (where openstacksdk looks); null for none."
  default     = null
}

variable "min_scale" {
  type        = number
  description = "Knative autoscaling min-scale (instances kept warm)."
  default     = 0

  validation {
    condition     = var.min_scale >= 0
    error_message = "min_scale must be >= 0."
  }
}

variable "max_scale" {
  type        = number
  description = "Knative autoscaling max-scale."
  default     = 10

  validation {
    condition     = var.max_scale >= 1
    error_message = "max_scale must be >= 1."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Longest time one request may run (Knative timeoutSeconds)."
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 1
    error_message = "timeout_seconds must be >= 1."
  }
}

variable "container_concurrency" {
  type        = number
  description = "Requests one instance serves at once (0 = no limit)."
  default     = 0

  validation {
    condition     = var.container_concurrency >= 0
    error_message = "container_concurrency must be >= 0."
  }
}

variable "visibility" {
  type        = string
  description = "external: reachable through the Knative ingress; cluster-local: only inside the cluster."
  default     = "cluster-local"

  validation {
    condition     = contains(["external", "cluster-local"], var.visibility)
    error_message = "visibility must be external or cluster-local."
  }
}

variable "resources" {
  type = object({
    cpu_request    = optional(string, "100m")
    memory_request = optional(string, "256Mi")
    memory_limit   = optional(string, "512Mi")
  })
  description = "Container resource requests and memory limit."
  default     = {}
}
