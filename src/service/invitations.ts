/**
 * UB2: users and waiting requests as the API shows them, with where each user's
 * registration at Apple stands and, once Apple invited them, the invitation link (for the
 * MDM to deliver to the user's device, or the administrator to send).
 */
import type { Db } from "../store/database.js";
import { registrationsOf, registrationsOfIds, type UserRegistration } from "../store/invitations.repo.js";
import type { UserRecord } from "../store/user.repo.js";

/** Users with their registration: one read of the registrations on their way, one of the link's template. */
export async function withRegistration<U extends UserRecord>(
  db: Db,
  spaceId: string,
  users: readonly U[],
): Promise<Array<U & UserRegistration>> {
  const registrations = await registrationsOf(db, spaceId, users);
  return users.map((u) => ({ ...u, ...(registrations.get(u.id) ?? { registration: "not_registered" }) }));
}

/** One user with their registration. */
export async function userWithRegistration<U extends UserRecord>(
  db: Db,
  spaceId: string,
  user: U,
): Promise<U & UserRegistration> {
  const [out] = await withRegistration(db, spaceId, [user]);
  return out ?? { ...user, registration: "not_registered" };
}

/** The user a `not_enrolled` wait waits for, and where their registration stands. */
export type Invitation = UserRegistration & { userId: string };

/**
 * Waiting requests with, for those that wait for a user to enrol (`not_enrolled`), that
 * user's invitation (`userOf`: the requesting user, or the device's user).
 */
export async function withInvitations<R extends { reason: string }>(
  db: Db,
  spaceId: string,
  rows: readonly R[],
  userOf: (row: R) => string | undefined,
): Promise<Array<R & { invitation?: Invitation }>> {
  const waitingFor = (row: R) => (row.reason === "not_enrolled" ? userOf(row) : undefined);
  const userIds = rows.flatMap((r) => waitingFor(r) ?? []);
  if (userIds.length === 0) return [...rows];
  const registrations = await registrationsOfIds(db, spaceId, userIds);
  return rows.map((row) => {
    const userId = waitingFor(row);
    const registration = userId ? registrations.get(userId) : undefined;
    return userId && registration ? { ...row, invitation: { userId, ...registration } } : row;
  });
}
