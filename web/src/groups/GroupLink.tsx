import { Link } from "react-router";
import { spacePath, useSpace } from "../app/space";
import { useGroupName } from "../users/groups";

/** The console's address of a group's page. */
export function groupPath(spaceId: string, groupId: string): string {
  return spacePath(spaceId, `/groups/${encodeURIComponent(groupId)}`);
}

/**
 * A group's name (All Users in the console's language) linking to its page. `newTab`: from
 * inside a form (the rules editor), so that the form's unsaved choices stay.
 */
export function GroupLink({ group, newTab }: { group: { id: string; name: string }; newTab?: boolean }) {
  const { spaceId } = useSpace();
  const groupName = useGroupName();
  return (
    <Link to={groupPath(spaceId, group.id)} {...(newTab ? { target: "_blank", rel: "noreferrer" } : {})}>
      {groupName(group)}
    </Link>
  );
}
