import type {
  ActivityMessageKey,
  ActivityMessageParams,
  ActivityParamValue,
  SyncCounts,
  TokenIssue,
  UpdateMode,
} from "../store/index.js";
import type { Language } from "./decision-texts.js";

/**
 * The activity log's messages in French, for the exports (`GET …/activity.csv?lang=fr`,
 * `orchard export activity --lang fr`): the console's words, web/src/i18n/fr.json
 * `activityMessages` (and the `health` and `catalogUpdates` words they nest), which
 * test/service/activity-messages-fr.test.ts keeps equal, key by key and param by param.
 * Numbers are written as the console writes them (fr-FR: 1 234).
 */
type FrenchCatalogue = {
  [K in ActivityMessageKey]: string | ((params: ActivityMessageParams<K>) => string | undefined);
};

const n = (value: number) => value.toLocaleString("fr-FR");

/** fr.json `health.<issue>`: an account's token problem and its fix (NT2). */
const HEALTH: Record<TokenIssue, { label: string; fix: string }> = {
  expired: {
    label: "Jeton expiré",
    fix: "Générez un nouveau jeton depuis le compte Apple Business Manager ou Apple School Manager de l'organisation, puis mettez le jeton à jour.",
  },
  revoked: { label: "Jeton révoqué", fix: "Téléversez un jeton valide (Mettre à jour le jeton)." },
  invalid: { label: "Jeton invalide", fix: "Téléversez un fichier sToken valide (Mettre à jour le jeton)." },
  login_required: {
    label: "Connexion requise",
    fix: "Connectez-vous au service Apps et livres dans Apple Business Manager, puis resynchronisez.",
  },
  other_mdm: {
    label: "Utilisé par un autre MDM",
    fix: "Un autre serveur gère ce jeton. Mettez le jeton à jour en cochant «\u00a0Reprendre\u00a0» pour l'utiliser ici.",
  },
  location_changed: {
    label: "Site modifié",
    fix: "Le jeton appartient désormais à un autre site. Mettez-le à jour en cochant «\u00a0Effacer toutes les données de licence précédentes\u00a0».",
  },
  duplicate: {
    label: "Doublon",
    fix: "Un autre compte de cet espace utilise déjà ce site. Supprimez l'un des deux.",
  },
};

/** fr.json `catalogUpdates.<mode>`. */
const UPDATES: Record<UpdateMode, string> = { immediate: "immédiates", automatic: "automatiques" };

const known = <T extends string>(table: Record<T, unknown>, value: string): value is T =>
  Object.hasOwn(table, value);

const syncFigures = (p: SyncCounts) =>
  `apps\u00a0: ${n(p.apps)} (nouvelles\u00a0: ${n(p.newApps)}, totaux modifiés\u00a0: ${n(p.countsChanged)})\u202f; ` +
  `attributions lues\u00a0: ${n(p.assignments)} (hors d'Orchard\u00a0: ${n(p.outside)}, confirmées\u00a0: ${n(p.confirmed)}, libérées hors d'Orchard\u00a0: ${n(p.releasedOutside)})\u202f; ` +
  `utilisateurs lus\u00a0: ${n(p.users)} (nouvellement inscrits\u00a0: ${n(p.enrolled)})\u202f; ` +
  `demandes en attente servies\u00a0: ${n(p.served)}`;

const FR: FrenchCatalogue = {
  "license.granted_user": "licence par utilisateur accordée, attribution en attente d'envoi à Apple",
  "license.granted_user_reserved":
    "licence réservée par utilisateur accordée, attribution en attente d'envoi à Apple",
  "license.granted_device": "licence par appareil accordée, attribution en attente d'envoi à Apple",
  "license.granted_device_reserved":
    "licence réservée par appareil accordée, attribution en attente d'envoi à Apple",
  "license.assigned": "attribution confirmée par Apple",
  "license.apple_refused": (p) => `refusée par Apple\u00a0: ${p.reason}`,
  "license.release_queued": "libération en attente d'envoi à Apple",
  "license.released_unsent":
    "libérée avant que son attribution n'atteigne Apple\u00a0: rien à libérer auprès d'Apple",
  "license.revoke_queued": "révoquée\u00a0: libération en attente d'envoi à Apple",
  "license.revoked_unsent":
    "révoquée avant que son attribution n'atteigne Apple\u00a0: rien à libérer auprès d'Apple",
  "license.released": "libérée auprès d'Apple",
  "license.grace_ended": "fin de la période de grâce",
  "license.released_outside": "Apple ne détient plus cette attribution (libérée hors d'Orchard)",
  "license.request_retried": (p) => `renvoyée après le refus d'Apple (${p.reason})\u00a0: attend son tour`,
  "license.release_retried": (p) => `libération renvoyée à Apple après son refus (${p.reason})`,
  "license.release_abandoned": (p) =>
    `libérée ici\u00a0: Apple a refusé la libération (${p.reason}) et un administrateur l'a abandonnée`,
  "license.release_refused_gone": (p) =>
    `Apple a refusé la libération (${p.reason}) mais ne détient plus cette attribution\u00a0: libérée`,
  "license.cleared_other_location":
    "le compte est passé à un autre site\u00a0: cette licence appartenait au précédent",
  "license.account_deleted_released":
    "compte supprimé\u00a0: licence libérée auprès d'Apple\u202f; l'utilisateur a 30 jours pour transférer l'app sur son propre compte Apple",
  "license.account_deleted_token_problem":
    "compte supprimé\u00a0: libération impossible auprès d'Apple (problème de jeton)",
  "license.account_deleted_granted_meanwhile":
    "compte supprimé\u00a0: licence accordée pendant la suppression, qui n'a pas pu être libérée auprès d'Apple",
  "license.reclaimed_device_inactive": (p) => `récupérée\u00a0: appareil inactif depuis le ${p.since}`,
  "license.reclaimed_user_inactive": (p) => `récupérée\u00a0: utilisateur inactif depuis le ${p.since}`,
  "license.adopted": "reprise\u00a0: Apple détenait déjà cette attribution, faite hors d'Orchard",
  "license.adopted_prohibited":
    "reprise\u00a0: Apple détenait déjà cette attribution, faite hors d'Orchard\u202f; l'utilisateur est interdit pour cette app dans ce compte\u00a0: révoquez la licence pour appliquer la règle",
  "queue.left_not_mandatory":
    "a quitté la file d'attente\u00a0: l'app n'est plus obligatoire («\u00a0installation sur l'appareil\u00a0» désactivée)",
  "queue.left_catalog": "a quitté la file d'attente\u00a0: l'app n'est plus dans le catalogue",
  "queue.left_check_in":
    "a quitté la file d'attente\u00a0: l'appareil ne la demande plus quand il se signale (ni obligatoire, ni installée)",
  "queue.cancelled": "demande en attente annulée par un administrateur\u00a0: a quitté la file d'attente",
  "queue.left_device_retired": "a quitté la file d'attente\u00a0: l'appareil a été retiré",
  "queue.left_device_wiped": "a quitté la file d'attente\u00a0: l'appareil a été effacé",
  "queue.left_device_inactive": "a quitté la file d'attente\u00a0: l'appareil est devenu inactif",
  "queue.left_device_unenrolled":
    "a quitté la file d'attente\u00a0: l'appareil a été désinscrit (profil MDM retiré)",
  "queue.left_user_deleted": "a quitté la file d'attente\u00a0: l'utilisateur a été supprimé",
  "account.added": (p) => `compte ${p.name} ajouté`,
  "account.updated": (p) => `compte ${p.name} modifié`,
  "account.deleted": (p) => `compte ${p.name} supprimé`,
  "account.priority_changed": (p) => `priorité ${n(p.from)} → ${n(p.to)}\u202f; aucune licence déplacée`,
  "account.cleared": (p) => `attributions libérées auprès d'Apple\u00a0: ${n(p.released)}`,
  "account.synced": (p) => `synchronisation\u00a0: ${syncFigures(p)}`,
  "account.resynced": (p) => `resynchronisation complète\u00a0: ${syncFigures(p)}`,
  "account.token_issue": (p) =>
    known(HEALTH, p.issue) ? `${HEALTH[p.issue].label}\u00a0: ${HEALTH[p.issue].fix}` : undefined,
  "account.token_healthy": "jeton de nouveau opérationnel\u202f; opérations reprises",
  "account.adopted": (p) =>
    `attributions faites hors d'Orchard reprises comme licences\u00a0: ${n(p.adopted)} (dont interdites\u00a0: ${n(p.prohibited)})`,
  "outside.release_queued": (p) =>
    `attribution faite hors d'Orchard (${p.subject})\u00a0: libération en attente d'envoi à Apple`,
  "outside.release_all_queued": (p) =>
    `libération de toutes les attributions faites hors d'Orchard\u00a0: en attente d'envoi à Apple\u00a0: ${n(p.requested)}, déjà en route\u00a0: ${n(p.already)}`,
  "outside.released": (p) => `attribution faite hors d'Orchard (${p.subject})\u00a0: libérée auprès d'Apple`,
  "outside.release_failed": (p) =>
    `attribution faite hors d'Orchard (${p.subject})\u00a0: Apple a refusé de la libérer\u00a0: ${p.reason}`,
  "catalog.install_on_device": (p) =>
    known(UPDATES, p.updateMode)
      ? `installation sur l'appareil, mises à jour ${UPDATES[p.updateMode]}`
      : undefined,
  "catalog.available": (p) =>
    known(UPDATES, p.updateMode) ? `disponible, mises à jour ${UPDATES[p.updateMode]}` : undefined,
  "catalog.delegated": (p) => `déléguée par ${p.from}`,
  "user.invited": "invité à Apps et livres",
  "user.registered_again": (p) =>
    `Apple ne connaissait pas l'utilisateur (${p.reason})\u00a0: inscrit à nouveau auprès d'Apple\u202f; l'attribution est renvoyée une fois`,
  "rules.set": (p) =>
    `règles de licence définies\u00a0: groupes premier arrivé, premier servi\u00a0: ${n(p.groups)}, réservations\u00a0: ${n(p.reservations)}, interdits\u00a0: ${n(p.prohibited)}`,
  "rules.group_deleted": (p) =>
    `groupe ${p.group} supprimé\u00a0: retiré des groupes premier arrivé, premier servi (restants\u00a0: ${n(p.groups)})`,
  "group.created": (p) => `groupe ${p.name} créé`,
  "group.renamed": (p) => `groupe ${p.from} renommé ${p.name}`,
  "group.members_added": (p) => `membres ajoutés au groupe ${p.name}\u00a0: ${n(p.count)}`,
  "group.members_removed": (p) => `membres retirés du groupe ${p.name}\u00a0: ${n(p.count)}`,
  "group.deleted": (p) => `groupe ${p.name} supprimé`,
  "group.deleted_from_rules": (p) =>
    `groupe ${p.name} supprimé\u202f; règles de licence premier arrivé, premier servi dont il a été retiré\u00a0: ${n(p.rules)}`,
  "mdm.device_retired": "appareil retiré",
  "mdm.device_wiped": "appareil effacé",
  "mdm.device_inactive": "appareil inactif",
  "mdm.mdm_profile_removed": "profil MDM supprimé",
  "mdm.user_deleted": "utilisateur supprimé",
  "mdm.app_deleted": "app supprimée",
  "mdm.app_undelegated": "délégation de l'app retirée",
  "mdm.app_removed_from_distribution": "app retirée de la distribution",
  "mdm.app_added_to_distribution": "de retour dans la distribution du catalogue de l'utilisateur",
  "mdm.device_enrolled": "appareil de nouveau inscrit\u00a0: actif",
  "device.active_at_check_in": "appareil de nouveau actif\u00a0: il a contacté le serveur",
  "device.created_again": "appareil de nouveau actif\u00a0: recréé avec son numéro de série",
  "command.retried": (p) => `commande MDM ${n(p.seq)} en échec remise en attente, pour être renvoyée`,
  "command.retry_license_not_live": (p) =>
    `commande MDM ${n(p.seq)} en échec annulée au lieu d'être renvoyée\u00a0: sa licence n'est plus active`,
  "command.retry_superseded": (p) =>
    `commande MDM ${n(p.seq)} en échec annulée au lieu d'être renvoyée\u00a0: la commande ${n(p.by)} pour le même appareil et la même app est plus récente`,
};

/** What an activity line says, as the store keeps it: the English text, and its key and params when written with one. */
export interface StoredActivityMessage {
  message?: string;
  messageKey?: string;
  messageParams?: Record<string, ActivityParamValue>;
}

/**
 * An activity line's message in `language`. English is the text the store kept (the
 * catalogue's English when the line was written). French is worded from the key and params;
 * a line written before keys, or a key or an enumerated param value this catalogue has no
 * words for, keeps the stored English, as the console does.
 */
export function activityMessageIn(language: Language, line: StoredActivityMessage): string {
  const stored = line.message ?? "";
  if (language === "en" || line.messageKey === undefined || !known(FR, line.messageKey)) return stored;
  const words = FR[line.messageKey] as
    | string
    | ((params: Record<string, ActivityParamValue>) => string | undefined);
  if (typeof words === "string") return words;
  try {
    return words(line.messageParams ?? {}) ?? stored;
  } catch {
    // A number param missing from an old row: its English still says what happened.
    return stored;
  }
}
