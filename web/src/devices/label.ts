/**
 * How a list names a device: by its name with its serial number ("Classroom iPad 12
 * (DMPQ0012)"), by its serial number while the MDM has not named it, else by its id.
 */
export function deviceLabel(d: {
  deviceName?: string;
  serialNumber?: string;
  deviceId?: string;
}): string | undefined {
  if (d.deviceName) return d.serialNumber ? `${d.deviceName} (${d.serialNumber})` : d.deviceName;
  return d.serialNumber ?? d.deviceId;
}
