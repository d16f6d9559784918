# One Knative Service running a function image. The CRDs of Knative Serving
# must be installed before plan (kubernetes_manifest reads their schema).
locals {
  labels = {
    "app.kubernetes.io/name"      = "kosmos"
    "app.kubernetes.io/component" = var.function
  }

  plain_env = [for k in sort(keys(var.env)) : { name = k, value = var.env[k] }]
  secret_env = [
    for k in sort(keys(var.secret_env)) : {
      name      = k
      valueFrom = { secretKeyRef = { name = var.secret_env[k].secret, key = var.secret_env[k].key } }
    }
  ]

  volumes = var.clouds_secret_name == null ? [] : [
    # Only clouds.yaml: the secret may hold other keys (the conductor token).
    { name = "clouds", secret = { secretName = var.clouds_secret_name, items = [{ key = "clouds.yaml", path = "clouds.yaml" }] } }
  ]
  volume_mounts = var.clouds_secret_name == null ? [] : [
    { name = "clouds", mountPath = "/etc/openstack", readOnly = true }
  ]

  metadata_labels = merge(local.labels,
  var.visibility == "cluster-local" ? { "networking.knative.dev/visibility" = "cluster-local" } : {})
}

resource "kubernetes_manifest" "service" {
  manifest = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    metadata = {
      name      = var.name
      namespace = var.namespace
      labels    = local.metadata_labels
    }
    spec = {
      template = {
        metadata = {
          labels = local.labels
          annotations = {
            "autoscaling.knative.dev/min-scale" = tostring(var.min_scale)
            "autoscaling.knative.dev/max-scale" = tostring(var.max_scale)
          }
        }
        spec = {
          containerConcurrency = var.container_concurrency
          timeoutSeconds       = var.timeout_seconds
          volumes              = local.volumes
          containers = [
            {
              name         = var.function
              image        = var.image
              ports        = [{ containerPort = 8080 }]
              env          = concat(local.plain_env, local.secret_env)
              volumeMounts = local.volume_mounts
              resources = {
                requests = { cpu = var.resources.cpu_request, memory = var.resources.memory_request }
                limits   = { memory = var.resources.memory_limit }
              }
            }
          ]
        }
      }
    }
  }

  # Knative's webhook adds creator/lastModifier annotations and labels.
  computed_fields = ["metadata.annotations", "metadata.labels"]

  wait {
    condition {
      type   = "Ready"
      status = "True"
    }
  }

  timeouts {
    create = "10m"
    update = "10m"
  }
}
