package oauth

// DeviceCode returns d's device code, for tests that check it is never
// printed.
func DeviceCode(d *DeviceAuthResponse) string { return d.deviceCode }
