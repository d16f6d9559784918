# Schema upgrades run once per conductor image, before the conductor rolls:
# the Job's name carries a hash of the image, so a new release makes a new Job
# and terraform waits for it to succeed before updating the conductor service.
resource "kubernetes_job_v1" "migrate" {
  metadata {
    name      = "${module.names.migration_job_prefix}-${substr(sha1(local.images.conductor), 0, 10)}"
    namespace = local.namespace
    labels    = { "app.kubernetes.io/name" = "kosmos", "app.kubernetes.io/component" = "migrate" }
  }

  spec {
    backoff_limit = 3

    template {
      metadata {
        labels = { "app.kubernetes.io/name" = "kosmos", "app.kubernetes.io/component" = "migrate" }
      }

      spec {
        restart_policy = "Never"

        container {
          name    = "migrate"
          image   = local.images.conductor
          command = ["python", "-m", "kosmos.conductor.migrate", "upgrade"]

          env {
            name = "KOSMOS_DATABASE_URL"
            value_from {
              secret_key_ref {
                name = kubernetes_secret_v1.database.metadata[0].name
                key  = "database_url"
              }
            }
          }

          env {
            name  = "KOSMOS_LOG_LEVEL"
            value = var.log_level
          }
        }
      }
    }
  }

  wait_for_completion = true

  timeouts {
    create = var.migration_timeout
    update = var.migration_timeout
  }

  depends_on = [openstack_db_user_v1.conductor]
}
