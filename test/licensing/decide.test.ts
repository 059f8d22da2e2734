import { describe, expect, it } from "vitest";
import { ALL_USERS, decide, newTrace } from "../../src/licensing/index.js";
import { account, asset, device, deviceRequest, license, user, userRequest, world } from "./builders.js";

describe("several accounts in one space (MA)", () => {
  it("MA1: takes the license from the first account in priority order, whatever the input order", () => {
    const w = world({
      user: user(),
      accounts: [account("B", 2, asset(10)), account("A", 1, asset(10)), account("C", 3, asset(10))],
    });
    expect(decide(userRequest(), w)).toMatchObject({
      outcome: "grant",
      accountId: "A",
      because: expect.arrayContaining(["MA1"]),
    });
  });

  it("MA2: falls back to the next account only when the first has no free license", () => {
    const w = world({ user: user(), accounts: [account("A", 1, asset(5, 5)), account("B", 2, asset(10))] });
    const d = decide(userRequest(), w);
    expect(d).toMatchObject({ outcome: "grant", accountId: "B" });
    expect(d.because).toContain("MA2");
  });

  it("MA2: skips an account where the subject is not on the distribution list, even the first", () => {
    const w = world({
      user: user("u1", { groupIds: ["sales"] }),
      accounts: [
        account("A", 1, asset(10), {
          fcfs: { groupIds: ["engineering"], requestedType: "user", mandatoryType: "device" },
        }),
        account("B", 2, asset(10), {
          fcfs: { groupIds: ["sales"], requestedType: "user", mandatoryType: "device" },
        }),
      ],
    });
    expect(decide(userRequest(), w)).toMatchObject({ outcome: "grant", accountId: "B" });
  });

  it("MA2: never falls back to an account that does not list the subject", () => {
    const w = world({
      user: user("u1", { groupIds: ["sales"] }),
      accounts: [
        account("A", 1, asset(5, 5), {
          fcfs: { groupIds: ["sales"], requestedType: "user", mandatoryType: "device" },
        }),
        account("B", 2, asset(10), {
          fcfs: { groupIds: ["engineering"], requestedType: "user", mandatoryType: "device" },
        }),
      ],
    });
    expect(decide(userRequest(), w)).toMatchObject({ outcome: "refuse", reason: "no_license" });
  });

  it("MA2, DB2, LT3: an account Apple refused for the subject is passed over: the next eligible one with a free license serves it; a full one makes a mandatory install wait for its seat; waiting for an administrator, a user may buy it themselves", () => {
    const refusedByA = { appleRefusedAccountIds: ["A"] };
    const served = decide(
      deviceRequest(),
      world({
        device: device(),
        ...refusedByA,
        accounts: [account("A", 1, asset(10)), account("B", 2, asset(10))],
      }),
    );
    expect(served).toMatchObject({
      outcome: "grant",
      accountId: "B",
      because: expect.arrayContaining(["MA1", "MA2"]),
    });
    const full = world({
      device: device(),
      ...refusedByA,
      accounts: [account("A", 1, asset(10)), account("B", 2, asset(5, 5))],
    });
    expect(decide(deviceRequest(), full)).toMatchObject({ outcome: "wait", reason: "no_license" });
    // A user's request (no wait for a seat, LT3) with B full, or no other account at all: only A
    // would serve: it waits for an administrator instead of being refused.
    const requested = world({ user: user(), ...refusedByA, accounts: full.accounts });
    expect(decide(userRequest(), { ...requested, appleRefusedAccountIds: [] })).toMatchObject({
      outcome: "grant",
      accountId: "A",
    });
    // LT3: meanwhile no license can be had: the user may buy it themselves.
    expect(decide(userRequest(), requested)).toEqual({
      outcome: "wait",
      reason: "apple_refused",
      userMay: "self_purchase",
      because: ["MA2", "DB2", "UB3", "LT3"],
    });
    const alone = world({ device: device(), ...refusedByA, accounts: [account("A", 1, asset(10))] });
    // A device without a user: no one to buy it.
    expect(decide(deviceRequest(), alone)).toEqual({
      outcome: "wait",
      reason: "apple_refused",
      because: ["MA2", "DB2", "UB3"],
    });
    // Nothing refused: A serves as always (MA1).
    expect(decide(deviceRequest(), world({ device: device(), accounts: full.accounts }))).toMatchObject({
      accountId: "A",
    });
  });

  it("MA2, MA5, DB2: a reservation in an account Apple refused is passed over; another account serves by FCFS, and the trace says why the first was", () => {
    const w = world({
      device: device(),
      appleRefusedAccountIds: ["A"],
      accounts: [
        account("A", 1, asset(10), { reservedDeviceIds: ["d1"], unusedReservations: 1 }),
        account("B", 2, asset(10), { fcfs: undefined }),
        account("C", 3, asset(10)),
      ],
    });
    const trace = newTrace();
    expect(decide(deviceRequest(), w, trace)).toMatchObject({
      outcome: "grant",
      accountId: "C",
      reserved: false,
    });
    expect(trace.steps.filter((s) => s.reached).map((s) => [s.accountId, s.pass, s.verdict])).toEqual([
      ["A", "reserved", "apple_refused"],
      ["A", "fcfs", "apple_refused"],
      ["B", "fcfs", "not_listed"],
      ["C", "fcfs", "grant"],
    ]);
    // Refused by every account that lists it: an administrator's turn, not a refusal (never dropped).
    expect(decide(deviceRequest(), { ...w, appleRefusedAccountIds: ["A", "C"] })).toMatchObject({
      outcome: "wait",
      reason: "apple_refused",
    });
  });

  it("MA5: a reservation in a lower-priority account beats FCFS in the first", () => {
    const w = world({
      user: user(),
      accounts: [
        account("A", 1, asset(10)),
        account("B", 2, asset(10), { reservedUserIds: ["u1"], unusedReservations: 1 }),
      ],
    });
    expect(decide(userRequest(), w)).toMatchObject({
      outcome: "grant",
      accountId: "B",
      reserved: true,
      because: expect.arrayContaining(["MA5", "DI3"]),
    });
  });

  it("MA5: reserved in several accounts, the highest-priority reservation is used", () => {
    const w = world({
      device: device(),
      accounts: [
        account("C", 3, asset(10), { reservedDeviceIds: ["d1"], unusedReservations: 1 }),
        account("A", 1, asset(10)),
        account("B", 2, asset(10), { reservedDeviceIds: ["d1"], unusedReservations: 1 }),
      ],
    });
    expect(decide(deviceRequest(), w)).toMatchObject({
      outcome: "grant",
      accountId: "B",
      type: "device",
      reserved: true,
    });
  });
});

describe("license types (LT)", () => {
  it("LT1: a grant to a device is device-based, to a user user-based", () => {
    const w = world({ user: user(), device: device("d1", { userId: "u1" }) });
    expect(decide(deviceRequest("d1", "mandatory"), w)).toMatchObject({ outcome: "grant", type: "device" });
    expect(decide(userRequest("u1", "requested"), w)).toMatchObject({ outcome: "grant", type: "user" });
  });

  it("LT1: the type follows the FCFS rule's setting, not the subject kind: a device request with mandatoryType user gives a user-based license", () => {
    const w = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [
        account("A", 1, asset(10), {
          fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "user" },
        }),
      ],
    });
    for (const why of ["mandatory", "check_in"] as const)
      expect(decide(deviceRequest("d1", why), w), why).toEqual({
        outcome: "grant",
        accountId: "A",
        type: "user",
        reserved: false,
        because: ["MA1", "DI2", "LT1"],
      });
    // requestedType is user too: a requested app on the device is user-based as well.
    expect(decide(deviceRequest("d1", "requested"), w)).toMatchObject({ outcome: "grant", type: "user" });
  });

  it("LT2: a user's request for an app is what assigns the license (no request, no grant needed)", () => {
    // The engine only grants in answer to a request: same world, a request for another app is refused.
    const w = world({ user: user() });
    expect(decide(userRequest(), w).outcome).toBe("grant");
    expect(() => decide({ ...userRequest(), adamId: "999" }, w)).toThrowError(
      expect.objectContaining({ code: "unknown_app" }),
    );
  });

  it("LT3: when no license can be had, a requesting user may buy the app", () => {
    const w = world({ user: user(), accounts: [account("A", 1, asset(3, 3))] });
    expect(decide(userRequest(), w)).toEqual({
      outcome: "refuse",
      reason: "no_license",
      userMay: "self_purchase",
      because: expect.arrayContaining(["LT3"]),
    });
  });

  it("LT3: a mandatory app with no license waits, and the device's user may still buy it", () => {
    const w = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(3, 3))],
    });
    expect(decide(deviceRequest(), w)).toMatchObject({
      outcome: "wait",
      reason: "no_license",
      userMay: "self_purchase",
    });
    const noUser = world({ device: device(), accounts: [account("A", 1, asset(3, 3))] });
    expect(decide(deviceRequest(), noUser)).not.toHaveProperty("userMay");
  });

  it("LT4: a user with a user-based license in any account keeps it, even where the app defaults to device-based", () => {
    const w = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(10)), account("B", 2, asset(10))],
      licenses: [license("L1", { accountId: "B", type: "user", userId: "u1" })],
    });
    expect(decide(deviceRequest("d1", "mandatory"), w)).toEqual({
      outcome: "keep",
      licenseId: "L1",
      accountId: "B",
      type: "user",
      because: ["LT4", "UB1"],
    });
  });

  it("LT4: a released license is not kept: a new one is decided", () => {
    const w = world({
      user: user(),
      licenses: [license("L1", { type: "user", userId: "u1", state: "in_grace" })],
    });
    expect(decide(userRequest(), w).outcome).toBe("grant");
  });

  it("LT5: a shared iPad always gets a device-based license, whatever the FCFS type", () => {
    const w = world({
      user: user(),
      device: device("ipad", { sharedIpad: true, userId: "u1" }),
      accounts: [
        account("A", 1, asset(10), {
          fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "user" },
        }),
      ],
    });
    expect(decide(deviceRequest("ipad", "mandatory"), w)).toMatchObject({
      outcome: "grant",
      type: "device",
      because: expect.arrayContaining(["LT5"]),
    });
  });

  it("LT5: an asset that is not device-assignable is refused on a shared iPad, never given user-based", () => {
    const w = world({
      user: user(),
      device: device("ipad", { sharedIpad: true, userId: "u1" }),
      accounts: [account("A", 1, asset(10, 0, { deviceAssignable: false, productType: "Book" }))],
    });
    expect(decide(deviceRequest("ipad", "requested"), w)).toMatchObject({
      outcome: "refuse",
      reason: "not_device_assignable",
      userMay: "self_purchase",
      because: ["LT5", "LT3"],
    });
  });

  it("LT5: a user's user-based license does not serve a shared iPad", () => {
    const w = world({
      user: user(),
      device: device("ipad", { sharedIpad: true, userId: "u1" }),
      licenses: [license("L1", { type: "user", userId: "u1" })],
    });
    expect(decide(deviceRequest("ipad"), w)).toMatchObject({ outcome: "grant", type: "device" });
  });

  it("LT6: a Mac gets device-based licenses only", () => {
    const w = world({ user: user(), device: device("mac", { platform: "macOS", userId: "u1" }) });
    expect(decide({ ...deviceRequest("mac", "requested") }, w)).toMatchObject({
      outcome: "grant",
      type: "device",
      because: expect.arrayContaining(["LT6"]),
    });
  });

  it("LT6: a user's own request for an app that runs on macOS only is refused (mac_only_app): no user-based license for it", () => {
    const macOnly = world({
      user: user(),
      device: undefined,
      accounts: [account("A", 1, asset(10, 0, { platforms: ["macOS"] }))],
    });
    expect(decide(userRequest("u1", "requested"), macOnly)).toEqual({
      outcome: "refuse",
      reason: "mac_only_app",
      because: ["LT6", "PB3"],
    });
    // One account lists iOS too, or lists nothing (missing data never refuses): user-based as usual.
    for (const platforms of [["macOS", "iOS"], []] as const) {
      const w = world({
        user: user(),
        device: undefined,
        accounts: [
          account("A", 1, asset(10, 0, { platforms: ["macOS"] })),
          account("B", 2, asset(10, 0, { platforms: [...platforms] })),
        ],
      });
      expect(decide(userRequest("u1", "requested"), w), platforms.join()).toMatchObject({
        outcome: "grant",
        type: "user",
      });
    }
    // The Mac's own request: device-based, as above.
    const mac = world({
      user: user(),
      device: device("mac", { platform: "macOS", userId: "u1" }),
      accounts: [account("A", 1, asset(10, 0, { platforms: ["macOS"] }))],
    });
    expect(decide(deviceRequest("mac", "requested"), mac)).toMatchObject({
      outcome: "grant",
      type: "device",
    });
  });

  it("LT5, LT6: a user reservation gives no user-based license on a shared iPad nor on a Mac: with no FCFS, nothing is granted", () => {
    // u1 is reserved (user-based) and no FCFS rule exists: the device-only platforms cannot use the reservation.
    const reservedOnly = { fcfs: undefined, reservedUserIds: ["u1"], unusedReservations: 1 };
    const refused = {
      outcome: "refuse",
      reason: "not_eligible",
      userMay: "self_purchase",
      because: ["MA2", "DI7"],
    };
    for (const [rule, d] of [
      ["LT5", device("d1", { sharedIpad: true, userId: "u1" })],
      ["LT6", device("d1", { platform: "macOS", userId: "u1" })],
    ] as const) {
      const w = world({ user: user(), device: d, accounts: [account("A", 1, asset(10), reservedOnly)] });
      for (const why of ["mandatory", "requested", "check_in"] as const)
        expect(decide(deviceRequest("d1", why), w), `${rule} ${why}`).toEqual(refused);
    }
    // The same reservation on the user's own iPhone is used, user-based: the refusal above is the platform's.
    const iphone = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(10), reservedOnly)],
    });
    expect(decide(deviceRequest("d1", "mandatory"), iphone)).toMatchObject({
      outcome: "grant",
      type: "user",
      reserved: true,
    });
  });
});

describe("device-based (DB)", () => {
  it("DB1: a device-based license needs no enrolled user nor any user", () => {
    const w = world({ device: device(), user: undefined });
    expect(decide(deviceRequest(), w)).toMatchObject({
      outcome: "grant",
      type: "device",
      because: expect.arrayContaining(["DB1"]),
    });
    const notEnrolled = world({
      user: user("u1", { enrolled: false }),
      device: device("d1", { userId: "u1" }),
    });
    expect(decide(deviceRequest(), notEnrolled)).toMatchObject({ outcome: "grant", type: "device" });
  });

  it("DB2: with no free license a mandatory install waits (it is decided again later)", () => {
    const w = world({ device: device(), accounts: [account("A", 1, asset(2, 2))] });
    expect(decide(deviceRequest("d1", "check_in"), w)).toMatchObject({
      outcome: "wait",
      reason: "no_license",
      because: ["DB2"],
    });
    const freed = world({ device: device(), accounts: [account("A", 1, asset(2, 1))] });
    expect(decide(deviceRequest("d1", "check_in"), freed)).toMatchObject({
      outcome: "grant",
      type: "device",
    });
  });

  it("DB3: a device reservation is used instead of an FCFS license, device-based", () => {
    const w = world({
      device: device(),
      accounts: [
        account("A", 1, asset(10)),
        account("B", 2, asset(10), { reservedDeviceIds: ["d1"], unusedReservations: 1 }),
      ],
    });
    expect(decide(deviceRequest(), w)).toMatchObject({
      outcome: "grant",
      accountId: "B",
      type: "device",
      reserved: true,
      because: expect.arrayContaining(["DB3"]),
    });
  });

  it("DB3: a reservation behind a token problem waits for the token; no FCFS seat is taken meanwhile", () => {
    const w = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [
        account("A", 1, asset(10), { reservedUserIds: ["u1"], unusedReservations: 1 }, { usable: false }),
        account("B", 2, asset(10)),
      ],
    });
    expect(decide(deviceRequest("d1", "mandatory"), w)).toEqual({
      outcome: "wait",
      reason: "token_problem",
      because: ["MA5", "DB3", "NT2"],
    });
  });

  it("LT3: a device with a user refused for a reason of the app still tells the user they may buy it", () => {
    const w = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(10, 0, { deviceAssignable: false }))],
    });
    expect(decide(deviceRequest("d1", "mandatory"), w)).toMatchObject({
      userMay: "self_purchase",
      because: ["DB5", "LT3"],
    });
  });

  it("DB3: the device's user's reservation is used, user-based, and UB3 applies (not enrolled: wait)", () => {
    const reservedUser = { reservedUserIds: ["u1"], unusedReservations: 1 };
    const enrolled = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(10), reservedUser)],
    });
    expect(decide(deviceRequest(), enrolled)).toMatchObject({
      outcome: "grant",
      type: "user",
      reserved: true,
    });
    const pending = world({
      user: user("u1", { enrolled: false }),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(10), reservedUser)],
    });
    expect(decide(deviceRequest(), pending)).toMatchObject({
      outcome: "wait",
      reason: "not_enrolled",
      because: expect.arrayContaining(["DB3", "UB3"]),
    });
  });
});

describe("user-based (UB)", () => {
  it("UB1: the license follows the user to a replacement device", () => {
    const w = world({
      user: user(),
      device: device("new-phone", { userId: "u1" }),
      licenses: [license("L1", { type: "user", userId: "u1" })],
    });
    expect(decide(deviceRequest("new-phone", "mandatory"), w)).toMatchObject({
      outcome: "keep",
      licenseId: "L1",
    });
  });

  it("UB2: a user who has not enrolled gets no user-based license yet", () => {
    const w = world({ user: user("u1", { enrolled: false }) });
    expect(decide(userRequest(), w)).toEqual({ outcome: "wait", reason: "not_enrolled", because: ["UB2"] });
  });

  it("UB3: mandatory + user-based: not enrolled waits; enrolled with a free license is granted; none free waits", () => {
    const userBased = {
      fcfs: { groupIds: [ALL_USERS], requestedType: "user" as const, mandatoryType: "user" as const },
    };
    const d = device("d1", { userId: "u1" });
    const notEnrolled = world({
      user: user("u1", { enrolled: false }),
      device: d,
      accounts: [account("A", 1, asset(1), userBased)],
    });
    expect(decide(deviceRequest(), notEnrolled)).toMatchObject({
      outcome: "wait",
      reason: "not_enrolled",
      because: ["UB2", "UB3"],
    });
    const free = world({ user: user(), device: d, accounts: [account("A", 1, asset(1), userBased)] });
    expect(decide(deviceRequest(), free)).toMatchObject({ outcome: "grant", type: "user" });
    const none = world({ user: user(), device: d, accounts: [account("A", 1, asset(1, 1), userBased)] });
    expect(decide(deviceRequest(), none)).toMatchObject({
      outcome: "wait",
      reason: "no_license",
      because: ["UB3", "LT3"],
    });
  });
});

describe("license rules (DI)", () => {
  it("DI2: FCFS gives user-based to a requested app and device-based to a mandatory one by default", () => {
    const w = world({ user: user(), device: device("d1", { userId: "u1" }) });
    expect(decide(userRequest("u1", "requested"), w)).toMatchObject({
      type: "user",
      because: expect.arrayContaining(["DI2"]),
    });
    expect(decide(deviceRequest("d1", "mandatory"), w)).toMatchObject({
      type: "device",
      because: expect.arrayContaining(["DI2"]),
    });
  });

  it("DI2: the admin's type choice on the FCFS rule is followed", () => {
    const w = world({
      user: user(),
      device: device("d1", { userId: "u1" }),
      accounts: [
        account("A", 1, asset(10), {
          fcfs: { groupIds: [ALL_USERS], requestedType: "device", mandatoryType: "user" },
        }),
      ],
    });
    expect(decide(deviceRequest("d1", "requested"), w)).toMatchObject({ type: "device" });
    expect(decide(deviceRequest("d1", "mandatory"), w)).toMatchObject({ type: "user" });
  });

  it("DI3: a reservation beats FCFS in the same account, even when FCFS seats are exhausted", () => {
    // 3 seats, 2 used by FCFS, 1 held for u1's reservation: FCFS has none left, u1 still gets its seat.
    const a = account("A", 1, asset(3, 2), { reservedUserIds: ["u1"], unusedReservations: 1 });
    expect(decide(userRequest("u2"), world({ user: user("u2"), accounts: [a] }))).toMatchObject({
      outcome: "refuse",
      reason: "no_license",
    });
    expect(decide(userRequest("u1"), world({ user: user("u1"), accounts: [a] }))).toMatchObject({
      outcome: "grant",
      reserved: true,
      because: expect.arrayContaining(["DI3"]),
    });
  });

  it("DI4: a prohibited user gets nothing from that account and may buy the app", () => {
    const w = world({ user: user(), accounts: [account("A", 1, asset(10), { prohibitedUserIds: ["u1"] })] });
    expect(decide(userRequest(), w)).toEqual({
      outcome: "refuse",
      reason: "prohibited",
      userMay: "self_purchase",
      because: ["DI4", "DI7"],
    });
  });

  it("DI4: prohibition applies per account: another account still licenses the user", () => {
    const w = world({
      user: user(),
      accounts: [account("A", 1, asset(10), { prohibitedUserIds: ["u1"] }), account("B", 2, asset(10))],
    });
    expect(decide(userRequest(), w)).toMatchObject({
      outcome: "grant",
      accountId: "B",
      because: expect.arrayContaining(["DI4"]),
    });
  });

  it("DI6: seats held for reservations are never given by FCFS", () => {
    const w = world({
      user: user("u2"),
      accounts: [account("A", 1, asset(5, 3), { reservedUserIds: ["u1", "u3"], unusedReservations: 2 })],
    });
    expect(decide(userRequest("u2"), w)).toMatchObject({ outcome: "refuse", reason: "no_license" });
  });

  it("DI7: a user both reserved and prohibited in one account is a validation error", () => {
    const w = world({
      user: user(),
      accounts: [account("A", 1, asset(10), { reservedUserIds: ["u1"], prohibitedUserIds: ["u1"] })],
    });
    expect(() => decide(userRequest(), w)).toThrowError(expect.objectContaining({ code: "invalid_rules" }));
  });

  it("DI7: a device with no user is FCFS-eligible only through All Users", () => {
    const groups = {
      fcfs: { groupIds: ["sales"], requestedType: "user" as const, mandatoryType: "device" as const },
    };
    const kiosk = world({ device: device("kiosk"), accounts: [account("A", 1, asset(10), groups)] });
    expect(decide(deviceRequest("kiosk"), kiosk)).toMatchObject({
      outcome: "refuse",
      reason: "not_eligible",
    });
    const owned = world({
      user: user("u1", { groupIds: ["sales"] }),
      device: device("d1", { userId: "u1" }),
      accounts: [account("A", 1, asset(10), groups)],
    });
    expect(decide(deviceRequest("d1"), owned)).toMatchObject({ outcome: "grant", type: "device" });
  });
});

describe("catalog and space (CA)", () => {
  it("CA3: no license while Apps and Books is off, with no account, or for an app not in the catalog", () => {
    expect(
      decide(userRequest(), world({ user: user(), space: { id: "space-1", appsAndBooksEnabled: false } })),
    ).toMatchObject({
      reason: "apps_and_books_disabled",
      because: ["CA3"],
    });
    expect(decide(userRequest(), world({ user: user(), accounts: [] }))).toMatchObject({
      reason: "no_account",
    });
    expect(decide(userRequest(), world({ user: user(), catalogApp: undefined }))).toMatchObject({
      reason: "not_in_catalog",
    });
  });

  it("DB5: device-based is refused for an asset Apple marks not device-assignable", () => {
    const w = world({
      device: device(),
      accounts: [account("A", 1, asset(10, 0, { deviceAssignable: false }))],
    });
    expect(decide(deviceRequest(), w)).toMatchObject({
      outcome: "refuse",
      reason: "not_device_assignable",
      because: ["DB5"],
    });
  });

  it("NT2: an account whose token has a problem is not used; the request waits when no other can serve", () => {
    const broken = account("A", 1, asset(10), {}, { usable: false });
    expect(decide(userRequest(), world({ user: user(), accounts: [broken] }))).toMatchObject({
      outcome: "wait",
      reason: "token_problem",
    });
    expect(
      decide(userRequest(), world({ user: user(), accounts: [broken, account("B", 2, asset(10))] })),
    ).toMatchObject({
      outcome: "grant",
      accountId: "B",
    });
  });

  it("PB1: out of the user's catalog distribution, neither the user nor the user's device gets a license", () => {
    const w = world({ user: user(), device: device("d1", { userId: "u1" }), notDistributedToUser: true });
    expect(decide(userRequest(), w)).toEqual({
      outcome: "refuse",
      reason: "not_distributed",
      because: ["PB1"],
    });
    expect(decide(deviceRequest("d1"), w)).toMatchObject({ outcome: "refuse", reason: "not_distributed" });
  });

  it("PB1, LT5: a shared iPad is not its current user's device: the app out of that user's distribution still gets the iPad its device-based license", () => {
    const w = world({
      user: user(),
      device: device("ipad", { sharedIpad: true, userId: "u1" }),
      notDistributedToUser: true,
    });
    expect(decide(deviceRequest("ipad"), w)).toMatchObject({ outcome: "grant", type: "device" });
  });

  it("RV1: an inactive device gets no license", () => {
    expect(decide(deviceRequest(), world({ device: device("d1", { active: false }) }))).toMatchObject({
      reason: "device_inactive",
    });
  });
});

describe("bad input", () => {
  it("refuses a subject of another space with a typed error, never a grant", () => {
    expect(() => decide(userRequest(), world({ user: user("u1", { spaceId: "other" }) }))).toThrowError(
      expect.objectContaining({ code: "subject_in_other_space" }),
    );
  });

  it("refuses negative or fractional counts", () => {
    for (const bad of [asset(-1), asset(10, -2), asset(2.5)]) {
      expect(() =>
        decide(userRequest(), world({ user: user(), accounts: [account("A", 1, bad)] })),
      ).toThrowError(expect.objectContaining({ code: "invalid_count" }));
    }
  });

  it("refuses an unknown subject", () => {
    expect(() => decide(userRequest("ghost"), world({ user: user("u1") }))).toThrowError(
      expect.objectContaining({ code: "unknown_subject" }),
    );
  });
});
