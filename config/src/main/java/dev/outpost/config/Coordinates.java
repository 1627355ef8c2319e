package dev.outpost.config;

/**
 * A point on Earth in degrees, written {@code LAT,LON} in flags and YAML ({@code 40.71,-74.01}).
 */
public record Coordinates(double latitude, double longitude) {

    public Coordinates {
        if (!(latitude >= -90 && latitude <= 90) || !(longitude >= -180 && longitude <= 180)) {
            throw new IllegalArgumentException(
                    "coordinates out of range: " + latitude + "," + longitude + " (latitude -90..90, longitude -180..180)");
        }
    }

    public static Coordinates parse(String text) {
        String[] parts = text == null ? new String[0] : text.split(",");
        if (parts.length != 2) {
            throw new IllegalArgumentException("not LAT,LON: '" + text + "'");
        }
        try {
            return new Coordinates(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not LAT,LON: '" + text + "'");
        }
    }

    /** Great-circle distance in kilometres (haversine, mean Earth radius). */
    public double distanceKm(Coordinates other) {
        double lat1 = Math.toRadians(latitude);
        double lat2 = Math.toRadians(other.latitude);
        double dLat = lat2 - lat1;
        double dLon = Math.toRadians(other.longitude - longitude);
        double a = Math.sin(dLat / 2) * Math.sin(dLat / 2)
                + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
        return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
    }

    @Override
    public String toString() {
        return latitude + "," + longitude;
    }
}
