output "name" {
  description = "Name of the Knative Service."
  value       = kubernetes_manifest.service.manifest.metadata.name
}

output "url" {
  description = "URL Knative assigned to the service (known once it is Ready)."
  value       = try(kubernetes_manifest.service.object.status.url, null)
}
