/**
 * Limits advertised by GET /service/config and enforced by the simulator. Defaults are
 * Apple's example (test/fixtures/apple/service-config.response.json); Apple says limits
 * are dynamic, so they can change at run time (operator.setLimits).
 */
export interface Limits {
  maxAssets: number;
  maxUsers: number;
  maxNotificationLength: number;
  maxRevokeClientUserIds: number;
  maxClientUserIds: number;
  maxSerialNumbers: number;
  maxRevokeSerialNumbers: number;
  maxRequestPerSecond: number;
  maxSubscriptions: number;
  maxSubscriptionClientUserIds: number;
  maxMdmNameLength: number;
  maxMdmMetadataLength: number;
  maxMdmIdLength: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxAssets: 25,
  maxUsers: 100,
  maxNotificationLength: 512,
  maxRevokeClientUserIds: 100,
  maxClientUserIds: 1000,
  maxSerialNumbers: 1000,
  maxRevokeSerialNumbers: 100,
  maxRequestPerSecond: 15,
  maxSubscriptions: 25,
  maxSubscriptionClientUserIds: 1000,
  maxMdmNameLength: 100,
  maxMdmMetadataLength: 255,
  maxMdmIdLength: 100,
};
