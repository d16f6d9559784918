output "name" {
  description = "Name of the Broker (what triggers name in spec.broker)."
  value       = kubernetes_manifest.broker.manifest.metadata.name
}

output "dead_letter_sink" {
  description = "The dead-letter sink every trigger on this broker sets in its delivery."
  value       = local.dead_letter_sink
}
