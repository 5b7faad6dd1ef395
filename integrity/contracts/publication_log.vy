# pragma version 0.4.3
# pragma evm-version paris
"""
@title PublicationLog
@notice Append-only, publisher-only log of daily manifest digests, per dataset (registry v2).
@dev Writers pass the dataset name (e.g. "perucompras-ocam"); the contract derives the dataset
     id = SHA-256(utf8(name)) itself, announces the name once (DatasetStarted) and keys every
     read by that id. Day = YYYYMMDD as uint32, a real calendar date in 2000-2199. Digest =
     SHA-256 of the day's manifest file bytes.
     Every accepted publication appends one entry with the next sequence number of its
     dataset (1, 2, 3, ...); nothing is ever overwritten or removed. The contract derives
     each entry's kind: 1 first publication (a day after every published day of the dataset),
     2 late publication (a day before the dataset's latest day, with no entry yet),
     3 correction (a day that already has an entry). Publishing the digest a day already
     holds as its latest entry is a no-op (returns False, no event), so retries are safe.
     A day may not start more than FUTURE_SLACK seconds after the block time (UTC), so a
     mistyped future day cannot turn every later day into a "late publication". No order is
     enforced across days, so no input can block later publications.
     See docs/registry.md for the storage layout, gas and trust assumptions.
"""

interface RelayHub:
    def getMsgSender() -> address: view


struct Entry:
    seq: uint64
    previous: uint64
    day: uint32
    kind: uint8
    digest: bytes32
    supersedes: uint64
    block_number: uint64
    timestamp: uint64


struct DatasetInfo:
    head: uint64
    entries: uint64
    days: uint64
    latest_day: uint32


# One entry in two slots: the digest, and meta = timestamp | block << 64 | day << 128
# | kind << 160 | supersedes << 168 (a fresh slot costs 22,100 gas, so packing matters).
struct StoredEntry:
    digest: bytes32
    meta: uint256


event DatasetStarted:
    dataset: indexed(bytes32)
    name: String[64]


event Published:
    dataset: indexed(bytes32)
    day: indexed(uint32)
    seq: uint64
    kind: uint8
    digest: bytes32
    supersedes: uint64


event PublisherProposed:
    publisher: indexed(address)
    proposed: indexed(address)


event PublisherProposalCancelled:
    publisher: indexed(address)
    proposed: indexed(address)


event PublisherChanged:
    previous: indexed(address)
    publisher: indexed(address)


event ForwarderChanged:
    previous: indexed(address)
    forwarder: indexed(address)


VERSION: public(constant(String[32])) = "publication-log/2"
MAX_BATCH: public(constant(uint256)) = 128

KIND_FIRST: constant(uint256) = 1
KIND_LATE: constant(uint256) = 2
KIND_CORRECTION: constant(uint256) = 3
MASK64: constant(uint256) = 2**64 - 1
# A day is publishable once it has begun somewhere on Earth (UTC+14), with clock slack.
FUTURE_SLACK: constant(uint256) = 86400

publisher: public(address)
pending_publisher: public(address)
# LACChain-style relay hub whose getMsgSender() names the original signer; empty elsewhere.
forwarder: public(address)

# dataset -> head seq | distinct days << 64 | latest day << 128
_datasets: HashMap[bytes32, uint256]
# dataset -> day -> latest seq of the day | entries of the day << 64
_days: HashMap[bytes32, HashMap[uint32, uint256]]
# dataset -> seq -> entry
_entries: HashMap[bytes32, HashMap[uint256, StoredEntry]]


@deploy
def __init__(publisher: address, forwarder: address):
    """
    @param publisher The only account allowed to publish (need not be the deployer).
    @param forwarder Trusted relay hub (LACChain); empty(address) on every other chain.
    """
    assert publisher != empty(address), "zero address"
    assert publisher != forwarder, "publisher is forwarder"
    self.publisher = publisher
    self.forwarder = forwarder
    log PublisherChanged(previous=empty(address), publisher=publisher)
    if forwarder != empty(address):
        log ForwarderChanged(previous=empty(address), forwarder=forwarder)


@external
def publish(name: String[64], day: uint32, digest: bytes32) -> bool:
    """
    @notice Append `digest` for `day` of dataset `name`; False (no event) if it is already
            the day's latest digest.
    """
    assert self._sent_by(self.publisher), "only publisher"
    assert len(name) != 0, "empty dataset"
    dataset: bytes32 = sha256(name)
    state: uint256 = self._datasets[dataset]
    if state == 0:
        # A dataset without entries cannot see a no-op: this call adds an entry or reverts.
        log DatasetStarted(dataset=dataset, name=name)
    new_state: uint256 = self._publish(dataset, day, digest, state)
    if new_state == state:
        return False
    self._datasets[dataset] = new_state
    return True


@external
def publish_batch(
    name: String[64], days: DynArray[uint32, MAX_BATCH], digests: DynArray[bytes32, MAX_BATCH]
) -> uint256:
    """
    @notice Publish days[i] with digests[i] of dataset `name` in order, all or nothing;
            no-ops are skipped.
    @return The number of new entries.
    """
    assert self._sent_by(self.publisher), "only publisher"
    assert len(name) != 0, "empty dataset"
    assert len(days) == len(digests), "length mismatch"
    dataset: bytes32 = sha256(name)
    start: uint256 = self._datasets[dataset]
    if start == 0 and len(days) != 0:
        log DatasetStarted(dataset=dataset, name=name)
    state: uint256 = start
    for i: uint256 in range(len(days), bound=MAX_BATCH):
        state = self._publish(dataset, days[i], digests[i], state)
    if state == start:
        return 0
    self._datasets[dataset] = state
    return (state & MASK64) - (start & MASK64)


@external
def propose_publisher(proposed: address):
    """
    @notice First step of a rotation: the publisher names its successor (replaces any
            earlier proposal).
    """
    publisher: address = self.publisher
    assert self._sent_by(publisher), "only publisher"
    assert proposed != empty(address), "zero address"
    assert proposed != publisher, "already publisher"
    assert proposed != self.forwarder, "proposed is forwarder"
    self.pending_publisher = proposed
    log PublisherProposed(publisher=publisher, proposed=proposed)


@external
def cancel_publisher_proposal():
    """
    @notice The publisher withdraws its pending proposal.
    """
    publisher: address = self.publisher
    assert self._sent_by(publisher), "only publisher"
    proposed: address = self.pending_publisher
    assert proposed != empty(address), "no proposal"
    self.pending_publisher = empty(address)
    log PublisherProposalCancelled(publisher=publisher, proposed=proposed)


@external
def accept_publisher():
    """
    @notice Second step of a rotation: the proposed account takes over; the old one
            loses every right.
    """
    proposed: address = self.pending_publisher
    assert proposed != empty(address), "no proposal"
    assert self._sent_by(proposed), "only proposed publisher"
    previous: address = self.publisher
    self.publisher = proposed
    self.pending_publisher = empty(address)
    log PublisherChanged(previous=previous, publisher=proposed)


@external
def set_forwarder(forwarder: address):
    """
    @notice The publisher sets (or clears, with empty(address)) the trusted relay hub.
    """
    publisher: address = self.publisher
    assert self._sent_by(publisher), "only publisher"
    assert forwarder != publisher, "publisher is forwarder"
    if forwarder != empty(address):
        assert forwarder != self.pending_publisher, "proposed is forwarder"
    previous: address = self.forwarder
    self.forwarder = forwarder
    log ForwarderChanged(previous=previous, forwarder=forwarder)


@view
@external
def latest_entry(dataset: bytes32, day: uint32) -> (Entry, uint64):
    """
    @notice The latest entry of `day` and how many entries the day has (zeros if none).
    """
    day_state: uint256 = self._days[dataset][day]
    return self._entry(dataset, day_state & MASK64), convert(day_state >> 64, uint64)


@view
@external
def get_entry(dataset: bytes32, seq: uint64) -> Entry:
    """
    @notice Entry number `seq` (1-based) of `dataset`; all zeros if there is none.
    """
    return self._entry(dataset, convert(seq, uint256))


@view
@external
def dataset_info(dataset: bytes32) -> DatasetInfo:
    """
    @notice Head seq (= number of entries), distinct days and latest day of `dataset`.
    """
    state: uint256 = self._datasets[dataset]
    return DatasetInfo(
        head=convert(state & MASK64, uint64),
        entries=convert(state & MASK64, uint64),
        days=convert((state >> 64) & MASK64, uint64),
        latest_day=convert(state >> 128, uint32),
    )


@pure
@external
def dataset_id(name: String[64]) -> bytes32:
    """
    @notice The id of dataset `name`: SHA-256 of its UTF-8 bytes (what the reads take).
    """
    return sha256(name)


@pure
@external
def is_valid_day(day: uint32) -> bool:
    """
    @notice Whether `day` is a real YYYYMMDD date in 2000-2199.
    """
    return self._valid_day(day)


@view
@internal
def _sent_by(account: address) -> bool:
    if msg.sender == account:
        return True
    forwarder: address = self.forwarder
    if forwarder == empty(address) or msg.sender != forwarder:
        return False
    return staticcall RelayHub(forwarder).getMsgSender() == account


@internal
def _publish(dataset: bytes32, day: uint32, digest: bytes32, state: uint256) -> uint256:
    # Returns the dataset state after the publication; unchanged for a no-op.
    assert self._valid_day(day), "invalid day"
    assert self._day_start(day) <= block.timestamp + FUTURE_SLACK, "future day"
    assert digest != empty(bytes32), "empty digest"
    day_state: uint256 = self._days[dataset][day]
    day_entries: uint256 = day_state >> 64
    superseded: uint256 = day_state & MASK64
    days: uint256 = (state >> 64) & MASK64
    latest_day: uint256 = state >> 128
    kind: uint256 = KIND_FIRST
    if day_entries != 0:
        if self._entries[dataset][superseded].digest == digest:
            return state
        kind = KIND_CORRECTION
    else:
        days += 1
        if convert(day, uint256) < latest_day:
            kind = KIND_LATE
        else:
            latest_day = convert(day, uint256)
    seq: uint256 = (state & MASK64) + 1
    self._entries[dataset][seq] = StoredEntry(
        digest=digest,
        meta=block.timestamp
        | (block.number << 64)
        | (convert(day, uint256) << 128)
        | (kind << 160)
        | (superseded << 168),
    )
    self._days[dataset][day] = seq | ((day_entries + 1) << 64)
    log Published(
        dataset=dataset,
        day=day,
        seq=convert(seq, uint64),
        kind=convert(kind, uint8),
        digest=digest,
        supersedes=convert(superseded, uint64),
    )
    return seq | (days << 64) | (latest_day << 128)


@view
@internal
def _entry(dataset: bytes32, seq: uint256) -> Entry:
    stored: StoredEntry = self._entries[dataset][seq]
    if stored.digest == empty(bytes32):
        return empty(Entry)
    meta: uint256 = stored.meta
    return Entry(
        seq=convert(seq, uint64),
        previous=convert(seq - 1, uint64),
        day=convert((meta >> 128) & convert(max_value(uint32), uint256), uint32),
        kind=convert((meta >> 160) & 255, uint8),
        digest=stored.digest,
        supersedes=convert(meta >> 168, uint64),
        block_number=convert((meta >> 64) & MASK64, uint64),
        timestamp=convert(meta & MASK64, uint64),
    )


@pure
@internal
def _valid_day(day: uint32) -> bool:
    # unsafe_* arithmetic: divisors are non-zero constants, so nothing can overflow or trap.
    year: uint32 = unsafe_div(day, 10000)
    month: uint32 = unsafe_div(day, 100) % 100
    dom: uint32 = day % 100
    if year < 2000 or year > 2199 or month == 0 or month > 12 or dom == 0:
        return False
    if month == 2:
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            return dom <= 29
        return dom <= 28
    if month == 4 or month == 6 or month == 9 or month == 11:
        return dom <= 30
    return dom <= 31


@pure
@internal
def _day_start(day: uint32) -> uint256:
    # Unix time of 00:00 UTC of a day that passed _valid_day (days-from-civil with years that
    # start in March); year >= 1999, so no intermediate value is negative or overflows.
    year: uint256 = convert(unsafe_div(day, 10000), uint256)
    month: uint256 = convert(unsafe_div(day, 100) % 100, uint256)
    dom: uint256 = convert(day % 100, uint256)
    if month <= 2:
        year = unsafe_sub(year, 1)
    era: uint256 = unsafe_div(year, 400)
    year_of_era: uint256 = unsafe_sub(year, unsafe_mul(era, 400))
    day_of_year: uint256 = unsafe_sub(
        unsafe_add(unsafe_div(unsafe_add(unsafe_mul(153, unsafe_add(month, 9) % 12), 2), 5), dom),
        1,
    )
    day_of_era: uint256 = unsafe_add(
        unsafe_sub(
            unsafe_add(unsafe_mul(year_of_era, 365), unsafe_div(year_of_era, 4)),
            unsafe_div(year_of_era, 100),
        ),
        day_of_year,
    )
    return unsafe_mul(unsafe_sub(unsafe_add(unsafe_mul(era, 146097), day_of_era), 719468), 86400)
