// Quorate's default constitution, part 3 of 4: `resolve`.

function countActiveMembers() {
  let active = 0;
  ccf.kv[T.membersInfo].forEach((raw) => {
    if (ccf.bufToJsonCompatible(raw).status === "Active") {
      active++;
    }
  });
  return active;
}

// A strict majority of the active members accepts a proposal: it is Accepted once more than
// half of them (rounded down) vote for it. Votes against only leave it Open, as in CCF's
// default constitution; it then stays Open until withdrawn or dropped.
export function resolve(proposal, proposerId, votes, proposalId) {
  const inFavour = votes.filter((ballot) => ballot.vote).length;
  return inFavour > Math.floor(countActiveMembers() / 2) ? "Accepted" : "Open";
}
