/**
 * A serial number as Orchard keeps it: trimmed, upper-case. Apple's serial numbers are
 * upper-case letters and digits and Apple reads them without regard to case, so c02d… and
 * C02D… are one device. Only a-z is folded, as SQL's `serialKey` (device.repo.ts) does, so
 * that both sides agree whatever the database's locale. No imports: the console's types
 * reach it through src/api/schemas.ts.
 */
export function normalizeSerial(serial: string): string {
  const trimmed = serial.trim();
  // Nearly every serial number is upper-case already: tested before it is rewritten.
  return /[a-z]/.test(trimmed) ? trimmed.replace(/[a-z]+/g, (letters) => letters.toUpperCase()) : trimmed;
}
