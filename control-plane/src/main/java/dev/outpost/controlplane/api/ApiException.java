package dev.outpost.controlplane.api;

/** An answer other than success: status, a stable error code and a detail for people. */
final class ApiException extends RuntimeException {

    final int status;
    final String error;
    final Object detail;

    ApiException(int status, String error, Object detail) {
        super(error + ": " + detail, null, false, false);
        this.status = status;
        this.error = error;
        this.detail = detail;
    }

    static ApiException badRequest(Object detail) {
        return new ApiException(400, "bad-request", detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", detail);
    }
}
