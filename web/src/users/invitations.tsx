import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type { Space, User, WaitingRequest } from "../api/types";
import { useSpace } from "../app/space";
import { sessionKeys } from "../auth/session";
import { Badge, type Tone } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { FormDialog } from "../ui/Dialog";
import { Field, Option } from "../ui/Field";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, FormError, Notice } from "../ui/States";
import { useGroups } from "./api";
import { ALL_USERS, useGroupName } from "./groups";

/**
 * UB2 in the console: where a user's registration at Apple stands (GET users `registration`),
 * inviting users (POST users/invite: some, or a group's not invited yet), copying Apple's
 * invitation link for the user, and the space's option to register waiting users itself.
 */
export type Registration = User["registration"];
/** What an invitation action needs of a user: a user row, or a waiting request's invitation. */
export interface Invitee {
  id: string;
  name: string;
  registration: Registration;
  invitationUrl?: string | undefined;
}
export type Invited = { invited: number; accounts: number };

const TONES: Record<Registration, Tone> = {
  not_registered: "warning",
  registering: "neutral",
  invited: "info",
  enrolled: "success",
  retired: "danger",
};

export function RegistrationBadge({ registration }: { registration: Registration }) {
  const { t } = useTranslation();
  return (
    <Badge tone={TONES[registration]} title={t(`invitations.stateHelp.${registration}`)}>
      {t(`invitations.state.${registration}`)}
    </Badge>
  );
}

/** POST users/invite; every view of the space is read again (lists, waiting queues, the user). */
export function useInviteUsers() {
  const { spaceId } = useSpace();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { userIds: string[] } | { groupId: string }) =>
      api.post<Invited>(`/spaces/${encodeURIComponent(spaceId)}/users/invite`, body),
    onSuccess: () =>
      qc.invalidateQueries({
        predicate: (q) =>
          typeof q.queryKey[0] === "string" && q.queryKey[0].startsWith(`/spaces/${spaceId}/`),
      }),
  });
}

/** What an invitation came to: how many were registered, or nobody to register. */
export function InvitedNotice({ result }: { result: Invited }) {
  const { t } = useTranslation();
  return (
    <Notice tone="success">
      {result.invited === 0
        ? t("invitations.noneInvited")
        : t("invitations.invited", { count: result.invited })}
    </Notice>
  );
}

/** Copies the link; where the browser refuses the clipboard, the old way (a selected hidden field). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "fixed";
    field.style.opacity = "0";
    document.body.append(field);
    field.select();
    const copied = document.execCommand("copy");
    field.remove();
    return copied;
  }
}

export function CopyLinkButton({ url, name }: { url: string; name: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const copy = async () => {
    setState((await copyText(url)) ? "copied" : "failed");
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState("idle"), 3000);
  };
  return (
    <>
      <Button
        size="sm"
        onClick={() => void copy()}
        // Named by the words it shows (WCAG 2.5.3): "Link copied" while it says so.
        aria-label={state === "copied" ? undefined : t("invitations.copyLinkOf", { name })}
      >
        {state === "copied" ? t("invitations.copied") : t("invitations.copyLink")}
      </Button>
      {state === "failed" ? (
        <span className="muted small" role="alert">
          {t("invitations.copyFailed")}
        </span>
      ) : null}
    </>
  );
}

/**
 * What can be done about a user's invitation: invite them (not invited, or retired at Apple;
 * administrators who manage the space), copy Apple's link (invited), or nothing yet.
 */
export function InvitationActions({
  user,
  onInvited,
}: {
  user: Invitee;
  onInvited?: (result: Invited) => void;
}) {
  const { t } = useTranslation();
  const { canWrite } = useSpace();
  const invite = useInviteUsers();
  switch (user.registration) {
    case "not_registered":
    case "retired":
      if (!canWrite) return null;
      return (
        <>
          <Button
            size="sm"
            busy={invite.isPending}
            aria-label={t("invitations.inviteOf", { name: user.name })}
            onClick={() =>
              invite.mutate({ userIds: [user.id] }, { ...(onInvited ? { onSuccess: onInvited } : {}) })
            }
          >
            {t("invitations.invite")}
          </Button>
          {invite.error ? <ErrorNotice error={invite.error} /> : null}
        </>
      );
    case "invited":
      return user.invitationUrl ? (
        <CopyLinkButton url={user.invitationUrl} name={user.name} />
      ) : (
        <span className="muted small">{t("invitations.linkUnknown")}</span>
      );
    case "registering":
      return <span className="muted small">{t("invitations.waitingForApple")}</span>;
    default:
      return null;
  }
}

/** A `not_enrolled` wait: the invitation it waits on, where it stands, and what to do. */
export function WaitingInvitation({
  invitation,
  name,
}: {
  invitation: NonNullable<WaitingRequest["invitation"]>;
  name: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <Badge>{t("waiting.reasons.not_enrolled")}</Badge>
      <div className="chips-inline small">
        <RegistrationBadge registration={invitation.registration} />{" "}
        <InvitationActions
          user={{
            id: invitation.userId,
            name,
            registration: invitation.registration,
            invitationUrl: invitation.invitationUrl,
          }}
        />
      </div>
    </>
  );
}

/** The user page's invitation: where it stands, Apple's link to copy or send, the action. */
export function InvitationCard({ user }: { user: User }) {
  const { t } = useTranslation();
  const [result, setResult] = useState<Invited>();
  return (
    <Card title={t("invitations.cardTitle")} actions={<RuleRef id="UB2" compact />}>
      <p className="card-help">{t("invitations.cardHelp")}</p>
      <p className="chips-inline">
        <RegistrationBadge registration={user.registration} />{" "}
        <span className="muted small">{t(`invitations.stateHelp.${user.registration}`)}</span>
      </p>
      {user.invitationUrl ? (
        <Field label={t("invitations.linkLabel")}>
          {(p) => (
            <input
              {...p}
              className="input"
              readOnly
              value={user.invitationUrl}
              onFocus={(e) => e.target.select()}
            />
          )}
        </Field>
      ) : null}
      <div className="row-actions">
        <InvitationActions user={user} onInvited={setResult} />
      </div>
      {result ? <InvitedNotice result={result} /> : null}
    </Card>
  );
}

/** Invites every user of a group not invited yet (All Users: the space's). */
export function InviteGroupDialog({
  onClose,
  onInvited,
  groupId: initial = ALL_USERS,
}: {
  onClose: () => void;
  onInvited: (r: Invited) => void;
  /** The group chosen at first (a group's page: that group). */
  groupId?: string;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const groups = useGroups(spaceId, { page: 1, pageSize: 200, order: "asc", sort: "name" });
  const groupName = useGroupName();
  const invite = useInviteUsers();
  const [groupId, setGroupId] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate(
      { groupId },
      {
        onSuccess: (r) => {
          onInvited(r);
          onClose();
        },
      },
    );
  };
  const choices = [...(groups.data?.items ?? [])].sort((a, b) =>
    a.id === ALL_USERS ? -1 : b.id === ALL_USERS ? 1 : 0,
  );
  return (
    <FormDialog
      title={t("invitations.inviteGroupTitle")}
      onClose={onClose}
      onSubmit={submit}
      busy={invite.isPending}
      submitLabel={t("invitations.inviteSubmit")}
    >
      <p className="muted">{t("invitations.inviteGroupHelp")}</p>
      <Field label={t("invitations.group")}>
        {(p) => (
          <select
            {...p}
            name="groupId"
            className="select"
            value={groupId}
            onChange={(e) => setGroupId(e.target.value)}
          >
            {choices.length === 0 ? <option value={ALL_USERS}>{t("rules.allUsers")}</option> : null}
            {choices.map((g) => (
              <option key={g.id} value={g.id}>
                {groupName(g)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <FormError error={invite.error} />
    </FormDialog>
  );
}

/**
 * The space's options (off by default): register at Apple the users a user-based license
 * waits for, and have the MDM deliver invitation links to invited users' devices.
 */
export function RegisterWaitingUsers() {
  const { t } = useTranslation();
  return (
    <Card title={t("invitations.autoTitle")} actions={<RuleRef id="UB2" compact />}>
      <SpaceOption
        name="registerWaitingUsers"
        label={t("invitations.autoLabel")}
        description={t("invitations.autoHelp")}
      />
      <SpaceOption
        name="sendInvitationsToDevices"
        label={t("invitations.devicesLabel")}
        description={t("invitations.devicesHelp")}
      />
    </Card>
  );
}

/** One of the space's UB2 switches, saved as it is turned (PATCH /spaces/:id). */
function SpaceOption({
  name,
  label,
  description,
}: {
  name: "registerWaitingUsers" | "sendInvitationsToDevices";
  label: string;
  description: string;
}) {
  const { space, canWrite } = useSpace();
  const qc = useQueryClient();
  const change = useMutation({
    mutationFn: (on: boolean) => api.patch<Space>(`/spaces/${encodeURIComponent(space.id)}`, { [name]: on }),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionKeys.spaces }),
  });
  const on = change.isPending ? (change.variables ?? space[name]) : space[name];
  return (
    <>
      <Option
        name={name}
        checked={on}
        disabled={!canWrite || change.isPending}
        onChange={(checked) => change.mutate(checked)}
        label={label}
        description={description}
      />
      {change.error ? <ErrorNotice error={change.error} /> : null}
    </>
  );
}
