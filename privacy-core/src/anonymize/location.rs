//! Geographic coordinates.

use serde::{Deserialize, Serialize};

/// A latitude/longitude pair in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Degrees north, -90 to 90.
    pub lat: f64,
    /// Degrees east, -180 to 180.
    pub lon: f64,
}

/// Decimals kept by the `coarse_location` anonymizer: 2 decimals of latitude is about 1.1 km,
/// coarser than the 1,850-foot radius the CPRA calls precise geolocation.
pub const COARSE_DECIMALS: u8 = 2;

/// Rounds both coordinates to `decimals` places (at most 7; more changes nothing measurable).
/// A point that is not a position (NaN, infinite, out of range) becomes `(0, 0)`: nothing of
/// it is kept.
///
/// ```
/// use privacy_core::anonymize::{coarse_location, GeoPoint};
/// let p = coarse_location(GeoPoint { lat: 37.773_972, lon: -122.431_297 }, 2);
/// assert_eq!(p, GeoPoint { lat: 37.77, lon: -122.43 });
/// ```
pub fn coarse_location(point: GeoPoint, decimals: u8) -> GeoPoint {
    if !valid(point) {
        return GeoPoint { lat: 0.0, lon: 0.0 };
    }
    let scale = 10f64.powi(i32::from(decimals.min(7)));
    GeoPoint {
        lat: (point.lat * scale).round() / scale,
        lon: (point.lon * scale).round() / scale,
    }
}

/// Snaps a point to a 0.1-degree grid (about 11 km): city level.
pub fn city_level(point: GeoPoint) -> GeoPoint {
    coarse_location(point, 1)
}

fn valid(p: GeoPoint) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

impl From<(f64, f64)> for GeoPoint {
    fn from((lat, lon): (f64, f64)) -> Self {
        GeoPoint { lat, lon }
    }
}
