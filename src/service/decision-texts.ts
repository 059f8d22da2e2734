import type {
  AccountVerdict,
  Eligibility,
  LicenseType,
  RefuseReason,
  RuleId,
  WaitReason,
} from "../licensing/index.js";

/** The languages decisions are worded in: English first (the default), then French. */
export const LANGUAGES = ["en", "fr"] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = "en";

/**
 * Everything a decision says in words, in one language: a sentence per rule id, a clause
 * per wait and refuse reason, and the summaries. describe() builds every text from this.
 */
export interface DecisionTexts {
  /** One sentence per rule id of docs/RULES.md. */
  rules: Record<RuleId, string>;
  /** Why the subject waits: the clause after "No license now:". */
  wait: Record<WaitReason, string>;
  /** Why the subject is refused: the clause after "No license:". */
  refuse: Record<RefuseReason, string>;
  grant: (type: LicenseType, reserved: boolean, account: string) => string;
  /** A license request's answer: the grant is made, not only possible. */
  granted: (type: LicenseType, reserved: boolean, account: string) => string;
  keep: (type: LicenseType, account: string) => string;
  /** PB3: appended to a keep on a device whose platform the app does not run on. */
  keptOnUnsupportedPlatform: string;
  waits: (reason: string) => string;
  refused: (reason: string) => string;
  /** LT3: appended to a wait or a refusal when the user may buy the app themselves. */
  selfPurchase: string;
  /** What-if, AC5: a holder loses its license; `next` is the summary of what it would get instead. */
  loses: (next: string) => string;
  /**
   * Explain, MA2, DB2: appended when Apple refused the subject's assignment from some accounts
   * (`refusals`: "account "A" (9635 …)"): another account `serves` it, it `waits` for another
   * one, or `none` can.
   */
  appleRefusedFrom: (refusals: string, then: "serves" | "waits" | "none") => string;
  /** One refusal in `appleRefusedFrom`: the account and Apple's error. */
  appleRefusal: (account: string, error: string) => string;
  /** Explain, per account walked: "<eligibility>; <verdict>." */
  accounts: {
    eligibility: Record<Eligibility, string>;
    verdict: Record<AccountVerdict, string>;
    /** Not reached: an account earlier in priority gave the license (MA1), or a reservation decided (MA5). */
    notReached: Record<"MA1" | "MA5", string>;
    row: (eligibility: string, verdict: string) => string;
  };
}

/**
 * English: the words of docs/RULES.md, one sentence per rule; the API's texts since the
 * first release (kept byte for byte: MDMs and tests read them).
 */
const en: DecisionTexts = {
  rules: {
    MA1: "Licenses are taken from the space's accounts in priority order (1 = first).",
    MA2: "An account is used only if the subject is eligible there; when it has no free license, the next eligible account is used.",
    MA3: "Changing account priorities never revokes or moves an existing license.",
    MA4: "Revoke all licenses of an app revokes it in every account of the space.",
    MA5: "A reservation beats priority: the reserved license is used.",
    MA6: "A new account is added last; moving one shifts the others.",
    LT1: "The assignment decides the type: to a device is device-based, to a user is user-based.",
    LT2: "A license is assigned when the app is installed on a device or requested for a user.",
    LT3: "When no license can be had, the user may buy the app themselves.",
    LT4: "A user who already holds a user-based license for the app keeps using it; no second license is used.",
    LT5: "A shared iPad only takes device-based licenses.",
    LT6: "A Mac only takes device-based licenses.",
    DB1: "Device-based licenses need no enrollment and no Apple Account.",
    DB2: "A mandatory app waits for a free license and is decided again at later check-ins.",
    DB3: "With a reservation for the app, the reserved license is used instead of an FCFS one.",
    DB4: "Updates of device-licensed apps follow the app's update mode.",
    DB5: "Device-based licensing is refused for an app Apple marks not device-assignable.",
    UB1: "A user-based license follows its user across devices.",
    UB2: "A user must accept the Apps and Books invitation before holding a user-based license.",
    UB3: "A mandatory user-licensed app is installed only for an enrolled user with a free license.",
    UB4: "When a user enrolls, their waiting mandatory apps are decided again.",
    CA1: "An app is added to the catalog with its distribution and install options.",
    CA2: "An account's token page shows creation date, location and expiry.",
    CA3: "Licenses are given only for catalog apps, in a space where Apps and Books is on and an account exists.",
    AC1: "A new account can give every app FCFS to All Users automatically.",
    AC2: "A token can be replaced; a token of another location needs the previous data cleared.",
    AC3: "A resync reads every app and license of the account from Apple again.",
    AC4: "An account's priority can be changed.",
    AC5: "Deleting an account releases every license it gave.",
    AC6: "A token is used by one MDM only; taking it over is an explicit action.",
    AC7: "A license Apple already holds for a device or user of the space, assigned outside Orchard, becomes Orchard's at the next full sync.",
    DI1: "Each account's apps have FCFS, Reserved and Prohibited lists.",
    DI2: "FCFS gives a requested app a user-based license and a mandatory app a device-based one by default.",
    DI3: "Reserved beats FCFS.",
    DI4: "A prohibited user gets no license for the app from that account.",
    DI5: "The log shows, per license, the subject, type, assignment date and last action.",
    DI6: "A reservation holds one seat; reserved seats are never given by FCFS.",
    DI7: "Prohibited beats Reserved beats FCFS; a device is FCFS-eligible through its user's groups.",
    VU1: "A user's License usage lists the apps on their devices with their licenses.",
    VU2: "An app's account tab shows its FCFS, Reserved and Prohibited lists and the log.",
    VU3: "A device's installed apps show their license type.",
    VU4: "The Apps and Books page shows price, total, available and used counts per app.",
    VU5: "An app's License usage is searchable by user name.",
    NT1: "License usage notifications are raised at 50, 70, 80, 90 and 100 %.",
    NT2: "No new license is taken from an account whose token has a problem.",
    NT3: "Notifications are listed with trigger, severity, type and component.",
    RV1: "Licenses are revoked when a device goes inactive, is retired or wiped, or the app or account is deleted.",
    RV2: "An administrator can revoke one license or all licenses of an app.",
    RV3: "A revoked iOS app stays usable for 30 days; revocation never uninstalls.",
    RV4: "A user's license can be revoked from the app's License usage tab.",
    RV5: "Deleting a user or removing the MDM profile revokes their licenses.",
    PB1: "On iOS, removing an app from a user's distribution uninstalls it and revokes the license.",
    PB2: "On macOS, removing an app revokes licenses without uninstalling.",
    PB3: "A device gets no license for an app Apple does not list for its platform; a license it holds already is kept.",
    TR1: "Moving a device to another space revokes its licenses in the old space.",
    TR2: "A moved device takes a license in the new space first, then gives up the old one.",
    PM1: "Managing Apps and Books needs the App and content management role in the space.",
  },
  wait: {
    not_enrolled: "it waits until the user accepts the Apps and Books invitation",
    no_license: "it waits for a license to free up",
    token_problem: "it waits until the account's token works again",
    apple_refused: "Apple refused its assignment; it waits until an administrator sends it again",
  },
  refuse: {
    apps_and_books_disabled: "Apps and Books is turned off in this space",
    no_account: "this space has no Apps and Books account",
    not_in_catalog: "the app is not in this space's catalog",
    not_bought: "no account of this space bought the app",
    prohibited: "the user is prohibited from the app in every account that has it",
    not_eligible: "no account's rules for the app cover this subject",
    not_device_assignable: "Apple does not allow device-based licenses for this app",
    no_user: "a user-based license needs a user and the device has none",
    no_device: "a device-based license needs a device",
    device_inactive: "the device is not active",
    not_distributed: "the app was removed from this user's catalog distribution",
    unsupported_platform: "the app does not run on this device's platform",
    mac_only_app: "the app runs on macOS only, which takes device-based licenses only: ask for the Mac",
    no_license: "every eligible account has used all its licenses",
  },
  grant: (type, reserved, account) =>
    `A ${type}-based ${reserved ? "reserved " : ""}license would be granted from account "${account}".`,
  granted: (type, reserved, account) =>
    `A ${type}-based ${reserved ? "reserved " : ""}license was granted from account "${account}"; Apple is asked to assign it.`,
  keep: (type, account) =>
    `The subject already holds a ${type}-based license from account "${account}" and keeps it.`,
  keptOnUnsupportedPlatform:
    " The app does not run on this device's platform: the license is kept, not revoked.",
  waits: (reason) => `No license now: ${reason}.`,
  refused: (reason) => `No license: ${reason}.`,
  selfPurchase: " The user may still buy the app themselves.",
  loses: (next) => `Loses its license. Next: ${next}`,
  appleRefusedFrom: (refusals, then) =>
    ` Apple refused its assignment from ${refusals}${
      then === "serves"
        ? "; another account serves it (MA2)."
        : then === "waits"
          ? "; it waits for another account (MA2)."
          : "; no other account can serve it."
    }`,
  appleRefusal: (account, error) => `account "${account}" (${error})`,
  accounts: {
    eligibility: {
      reserved: "The subject has a reservation here",
      fcfs: "An FCFS group of this account covers the subject",
      prohibited: "The user is prohibited here",
      not_listed: "No FCFS group or reservation of this account covers the subject",
      not_bought: "This account did not buy the app",
    },
    verdict: {
      grant: "the license comes from here",
      not_bought: "passed over",
      not_listed: "passed over",
      prohibited: "passed over",
      token_problem: "passed over: its token has a problem",
      full: "passed over: no free license",
      not_device_assignable: "passed over: Apple allows no device-based license for this app",
      no_device: "passed over: a device-based license needs a device",
      no_user: "passed over: a user-based license needs a user",
      not_enrolled: "passed over: a user-based license waits for the user to accept the invitation",
      apple_refused: "passed over: Apple refused to assign the app to this subject from here",
    },
    notReached: {
      MA1: "not reached: an account earlier in priority gives the license",
      MA5: "not reached: a reservation decides",
    },
    row: (eligibility, verdict) => `${eligibility}; ${verdict}.`,
  },
};

/** "par appareil", "par utilisateur": the console's words (web/src/i18n/fr.json licenseType.*). */
const FR_TYPE: Record<LicenseType, string> = { user: "utilisateur", device: "appareil" };

/**
 * French: the console's words. Rule sentences are web/src/i18n/fr.json's ruleText.* (a test
 * keeps them equal); reasons reuse its reasons.* where they say the same as the English.
 */
const fr: DecisionTexts = {
  rules: {
    MA1: "Les licences sont prises dans les comptes de l'espace par ordre de priorité (1 = premier).",
    MA2: "Un compte n'est utilisé que si le sujet y est éligible\u202f; s'il n'a plus de licence libre, le compte éligible suivant est utilisé.",
    MA3: "Changer les priorités ne révoque ni ne déplace aucune licence existante\u202f; cela change seulement d'où vient la suivante.",
    MA4: "«\u00a0Révoquer toutes les licences\u00a0» révoque l'app dans tous les comptes de cet espace, pas des autres espaces.",
    MA5: "Une réservation l'emporte sur la priorité\u00a0: la licence réservée est utilisée.",
    MA6: "Un nouveau compte est ajouté en dernier\u202f; déplacer un compte décale les autres.",
    LT1: "L'attribution fixe le type\u00a0: à un appareil, licence par appareil\u202f; à un utilisateur, licence par utilisateur.",
    LT2: "Une licence est attribuée quand l'app est installée sur un appareil ou demandée pour un utilisateur.",
    LT3: "Faute de licence, l'utilisateur peut acheter l'app lui-même.",
    LT4: "Un utilisateur qui détient déjà une licence par utilisateur pour l'app la garde\u202f; aucune seconde licence n'est consommée.",
    LT5: "Un iPad partagé ne prend que des licences par appareil.",
    LT6: "Un Mac ne prend que des licences par appareil.",
    DB1: "Les licences par appareil ne demandent ni inscription ni compte Apple.",
    DB2: "Une app obligatoire attend une licence libre et est réexaminée aux contacts suivants.",
    DB3: "Avec une réservation pour l'app, la licence réservée est utilisée au lieu d'une licence premier arrivé, premier servi.",
    DB4: "Les mises à jour des apps sous licence par appareil suivent le mode de mise à jour de l'app.",
    DB5: "Vérifiez avec le développeur qu'une app personnalisée ou de Productivité fonctionne avec des licences par appareil\u202f; Apple les refuse pour certaines apps.",
    UB1: "Une licence par utilisateur suit son utilisateur d'un appareil à l'autre.",
    UB2: "Un utilisateur doit accepter l'invitation Apps et livres avant de détenir une licence par utilisateur.",
    UB3: "Une app obligatoire sous licence par utilisateur n'est installée que pour un utilisateur inscrit, s'il reste une licence.",
    UB4: "Quand un utilisateur s'inscrit, ses apps obligatoires en attente sont réexaminées.",
    CA1: "Une app est ajoutée au catalogue avec ses options de distribution et d'installation.",
    CA2: "La page du jeton d'un compte indique sa date de création, son site et sa date d'expiration.",
    CA3: "Les licences ne sont données que pour les apps du catalogue, dans un espace où Apps et livres est activé et qui a un compte.",
    AC1: "Un nouveau compte peut donner chaque app en premier arrivé, premier servi à Tous les utilisateurs\u202f; effacer les données précédentes libère toutes les licences du jeton.",
    AC2: "Un jeton peut être remplacé ou renommé\u202f; un jeton d'un autre site exige d'effacer les données précédentes.",
    AC3: "Une resynchronisation relit auprès d'Apple toutes les apps et licences du compte.",
    AC4: "La priorité d'un compte peut être modifiée.",
    AC5: "La suppression d'un compte est irréversible et libère toutes les licences qu'il a données\u202f; rien n'est désinstallé.",
    AC6: "Un jeton n'est utilisé que par un seul MDM\u202f; le reprendre est une action explicite.",
    AC7: "Une licence qu'Apple détient déjà pour un appareil ou un utilisateur de l'espace, attribuée hors d'Orchard, devient celle d'Orchard à la synchronisation complète suivante.",
    DI1: "Les apps de chaque compte ont des listes premier arrivé, premier servi, Réservées et Interdites.",
    DI2: "Le premier arrivé, premier servi donne par défaut une licence par utilisateur à une app demandée et par appareil à une app obligatoire.",
    DI3: "Réservé l'emporte sur premier arrivé, premier servi.",
    DI4: "Un utilisateur interdit ne reçoit aucune licence de l'app depuis ce compte\u202f; un autre compte peut encore lui en donner une.",
    DI5: "Le journal indique, par licence, l'utilisateur ou l'appareil, le type, la date d'attribution et la dernière action.",
    DI6: "Une réservation retient une place\u202f; les places réservées ne sont jamais données à quelqu'un d'autre.",
    DI7: "Interdit l'emporte sur Réservé, qui l'emporte sur premier arrivé, premier servi\u202f; un utilisateur ne peut être à la fois réservé et interdit.",
    VU1: "L'utilisation des licences d'un utilisateur liste les apps de ses appareils avec leurs licences.",
    VU2: "L'onglet d'un compte pour une app montre ses listes premier arrivé, premier servi, Réservées et Interdites, et le journal.",
    VU3: "Les apps installées d'un appareil indiquent leur type de licence, avec recherche par nom et identifiant de paquet.",
    VU4: "Par app\u00a0: prix par licence, nombres total, disponible et utilisé.",
    VU5: "L'utilisation des licences d'une app se recherche par nom d'utilisateur.",
    NT1: "Des notifications d'utilisation des licences sont émises à 50, 70, 80, 90 et 100\u00a0%.",
    NT2: "Les erreurs de jeton sont signalées avec leur solution\u202f; aucun compte dont le jeton a un problème ne donne de nouvelle licence.",
    NT3: "Les notifications sont listées avec déclencheur, gravité, type et composant.",
    RV1: "Les licences sont révoquées quand un appareil devient inactif, est retiré ou effacé, ou quand l'app ou le compte est supprimé.",
    RV2: "Un administrateur peut révoquer une licence depuis le journal, ou toutes les licences d'une app.",
    RV3: "Une app iOS révoquée reste utilisable 30 jours\u202f; la révocation ne désinstalle jamais.",
    RV4: "La licence d'un utilisateur peut être révoquée depuis l'onglet Utilisation des licences de l'app.",
    RV5: "Supprimer un utilisateur ou retirer le profil MDM révoque ses licences.",
    PB1: "Sur iOS, retirer une app de la distribution d'un utilisateur la désinstalle et révoque la licence.",
    PB2: "Sur macOS, retirer une app révoque les licences sans la désinstaller.",
    PB3: "Un appareil ne reçoit aucune licence pour une app qu'Apple n'indique pas pour sa plateforme\u202f; une licence qu'il détient déjà est conservée.",
    TR1: "Déplacer un appareil vers un autre espace révoque ses licences dans l'ancien espace.",
    TR2: "Un appareil déplacé reçoit d'abord une licence du nouvel espace, puis l'ancienne est révoquée.",
    PM1: "Gérer demande le rôle «\u00a0Gestion des apps et contenus\u00a0» dans l'espace\u202f; les rôles en lecture seule voient sans jamais modifier.",
  },
  wait: {
    not_enrolled: "la demande attend que l'utilisateur accepte l'invitation Apps et livres",
    no_license: "la demande attend qu'une licence se libère",
    token_problem: "la demande attend que le jeton du compte fonctionne à nouveau",
    apple_refused: "Apple a refusé son attribution\u202f; la demande attend qu'un administrateur la renvoie",
  },
  refuse: {
    apps_and_books_disabled: "Apps et livres est désactivé dans cet espace",
    no_account: "cet espace n'a aucun compte Apps et livres",
    not_in_catalog: "l'app n'est pas au catalogue de l'espace",
    not_bought: "aucun compte de l'espace n'a acheté cette app",
    prohibited: "l'utilisateur est interdit pour cette app dans tous les comptes qui l'ont",
    not_eligible: "aucune règle de compte ne donne accès à ce sujet",
    not_device_assignable: "Apple n'autorise pas les licences par appareil pour cette app",
    no_user: "une licence par utilisateur demande un utilisateur et l'appareil n'en a pas",
    no_device: "une licence par appareil demande un appareil",
    device_inactive: "l'appareil n'est pas actif",
    not_distributed: "l'app a été retirée de la distribution de cet utilisateur",
    unsupported_platform: "l'app ne fonctionne pas sur la plateforme de cet appareil",
    mac_only_app:
      "l'app ne fonctionne que sur macOS, qui ne prend que des licences par appareil\u00a0: demandez-la pour le Mac",
    no_license: "aucune licence libre dans un compte éligible",
  },
  grant: (type, reserved, account) =>
    `Une licence par ${FR_TYPE[type]}${reserved ? " réservée" : ""} serait attribuée depuis le compte «\u00a0${account}\u00a0».`,
  granted: (type, reserved, account) =>
    `Une licence par ${FR_TYPE[type]}${reserved ? " réservée" : ""} a été attribuée depuis le compte «\u00a0${account}\u00a0»\u202f; Apple est sollicité pour l'affecter.`,
  keep: (type, account) =>
    `Le sujet détient déjà une licence par ${FR_TYPE[type]} du compte «\u00a0${account}\u00a0» et la conserve.`,
  keptOnUnsupportedPlatform:
    " L'app ne fonctionne pas sur la plateforme de cet appareil\u00a0: la licence est conservée, pas révoquée.",
  waits: (reason) => `Pas de licence pour l'instant\u00a0: ${reason}.`,
  refused: (reason) => `Pas de licence\u00a0: ${reason}.`,
  selfPurchase: " L'utilisateur peut toujours acheter l'app lui-même.",
  loses: (next) => `Perd sa licence. Ensuite\u00a0: ${next}`,
  appleRefusedFrom: (refusals, then) =>
    ` Apple a refusé son attribution depuis ${refusals}${
      then === "serves"
        ? "\u202f; un autre compte la sert (MA2)."
        : then === "waits"
          ? "\u202f; la demande attend un autre compte (MA2)."
          : "\u202f; aucun autre compte ne peut la servir."
    }`,
  appleRefusal: (account, error) => `le compte «\u00a0${account}\u00a0» (${error})`,
  accounts: {
    eligibility: {
      reserved: "Le sujet a une réservation dans ce compte",
      fcfs: "Un groupe premier arrivé, premier servi de ce compte couvre le sujet",
      prohibited: "L'utilisateur est interdit dans ce compte",
      not_listed:
        "Aucun groupe premier arrivé, premier servi ni aucune réservation de ce compte ne couvre le sujet",
      not_bought: "Ce compte n'a pas acheté l'app",
    },
    verdict: {
      grant: "la licence vient de ce compte",
      not_bought: "compte écarté",
      not_listed: "compte écarté",
      prohibited: "compte écarté",
      token_problem: "compte écarté\u00a0: son jeton a un problème",
      full: "compte écarté\u00a0: aucune licence libre",
      not_device_assignable:
        "compte écarté\u00a0: Apple n'autorise pas de licence par appareil pour cette app",
      no_device: "compte écarté\u00a0: une licence par appareil demande un appareil",
      no_user: "compte écarté\u00a0: une licence par utilisateur demande un utilisateur",
      not_enrolled:
        "compte écarté\u00a0: une licence par utilisateur attend que l'utilisateur accepte l'invitation",
      apple_refused: "compte écarté\u00a0: Apple a refusé d'y attribuer l'app à ce sujet",
    },
    notReached: {
      MA1: "non atteint\u00a0: un compte plus prioritaire donne la licence",
      MA5: "non atteint\u00a0: une réservation décide",
    },
    row: (eligibility, verdict) => `${eligibility}\u202f; ${verdict}.`,
  },
};

export const DECISION_TEXTS: Readonly<Record<Language, DecisionTexts>> = { en, fr };
