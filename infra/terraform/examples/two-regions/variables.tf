variable "openstack_cloud" {
  type        = string
  description = "clouds.yaml entry terraform deploys with (needs Trove, Designate and application credentials)."
  default     = "openstack"
}

variable "kubeconfig" {
  type        = string
  description = "kubeconfig file holding the contexts of both clusters."
  default     = "~/.kube/config"
}

variable "kube_contexts" {
  type        = list(string)
  description = "kubeconfig contexts of the clusters of regions[0] and regions[1] (Knative Serving and Eventing installed in both)."

  validation {
    condition     = length(var.kube_contexts) == 2
    error_message = "kube_contexts must name two contexts, one per region."
  }
}

variable "regions" {
  type        = list(string)
  description = "The two checker regions; the first also hosts the global part."
  default     = ["RegionOne", "RegionTwo"]

  validation {
    condition     = length(var.regions) == 2
    error_message = "This example deploys exactly two regions."
  }
}

variable "image_registry" {
  type        = string
  description = "Registry the images of scripts/package-functions.sh were pushed to."
}

variable "image_tag" {
  type        = string
  description = "Release tag of the images."
  default     = "0.1.0"
}

variable "public_domain" {
  type        = string
  description = "Knative domain of the first region's cluster."
}

variable "keystone_auth_url" {
  type        = string
  description = "Keystone v3 URL."
}

variable "zone_name" {
  type        = string
  description = "Designate zone of the GSLB names, with the trailing dot."
}

variable "zone_email" {
  type        = string
  description = "Contact e-mail of the zone."
}

variable "db_flavor_id" {
  type        = string
  description = "Nova flavor of the Trove instance."
}

variable "db_network_id" {
  type        = string
  description = "Neutron network of the Trove instance."
}

variable "db_datastore_version" {
  type        = string
  description = "Trove postgresql datastore version."
}

variable "deny_cidrs" {
  type        = list(string)
  description = "Ranges the checkers may never probe (add the clusters' pod and service networks)."
  default     = []
}

variable "broker_class" {
  type        = string
  description = "Knative broker class of every Kosmos broker: RabbitMQBroker (default, needs the RabbitMQ cluster operator and eventing-rabbitmq), Kafka, or MTChannelBasedBroker (development only)."
  default     = "RabbitMQBroker"
}
