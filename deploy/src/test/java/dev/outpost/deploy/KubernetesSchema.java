package dev.outpost.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.util.Map;

/**
 * Reads a Kubernetes object into the official Java client's model (io.kubernetes:client-java-api,
 * generated from the Kubernetes OpenAPI schema), which refuses what the API server would: a field
 * the schema does not define (a typo, or a field at the wrong level), a missing required field,
 * a value of the wrong type, a quantity that does not parse.
 */
final class KubernetesSchema {

    private record Type(String apiVersion, Class<?> model) {
    }

    private static final Map<String, Type> KINDS = Map.of(
            "Namespace", new Type("v1", V1Namespace.class),
            "Service", new Type("v1", V1Service.class),
            "ConfigMap", new Type("v1", V1ConfigMap.class),
            "Secret", new Type("v1", V1Secret.class),
            "StatefulSet", new Type("apps/v1", V1StatefulSet.class),
            "Deployment", new Type("apps/v1", V1Deployment.class),
            "DaemonSet", new Type("apps/v1", V1DaemonSet.class),
            "PodDisruptionBudget", new Type("policy/v1", V1PodDisruptionBudget.class));

    private static final JSON GSON = new JSON();

    private KubernetesSchema() {
    }

    /** Null when {@code object} is valid, else what is wrong with it. */
    static String problem(JsonNode object) {
        String kind = object.path("kind").asText();
        Type type = KINDS.get(kind);
        if (type == null) {
            return "kind '" + kind + "' is not one this check knows (" + KINDS.keySet() + ")";
        }
        if (!type.apiVersion().equals(object.path("apiVersion").asText())) {
            return kind + " is apiVersion " + type.apiVersion() + ", not '" + object.path("apiVersion").asText() + "'";
        }
        try {
            GSON.deserialize(object.toString(), type.model());
            return null;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
