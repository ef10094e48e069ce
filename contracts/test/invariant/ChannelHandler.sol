// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console} from "forge-std/console.sol";
import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {Merkle} from "../utils/Merkle.sol";
import {
    Balance,
    ChannelDispute,
    CoreChannelState,
    CoreTransferState,
    TransferDispute,
    WithdrawData
} from "../../src/interfaces/Types.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ITransferDefinition} from "../../src/interfaces/ITransferDefinition.sol";
import {HashlockTransfer} from "../../src/transfers/HashlockTransfer.sol";
import {Withdraw} from "../../src/transfers/Withdraw.sol";
import {TestToken} from "../../src/TestToken.sol";

/// @title ChannelHandler
/// @notice The actor the invariant fuzzer drives. It holds alice's and bob's keys, keeps an
/// off-chain model of their channel (every doubly-signed state, the hashlock and Withdraw
/// transfers and their merkle roots, the withdrawal commitments) and of what the channel
/// contract must do with it, and exposes bounded actions from both sides: deposits, payments,
/// transfers, withdrawals, and the whole dispute path over several rounds, including an
/// adversary that submits stale states, starts later rounds with states signed before the last
/// dispute, defunds with stale states or wrong indices, disputes transfers outside the root or
/// before their asset is paid out, replays or half-signs commitments and exits other people's
/// funds.
/// @dev Every call to the channel is made with a prediction from the model; a call that
/// succeeds when the model expects a revert, or the reverse, is recorded as a mismatch.
/// A run may go through several dispute rounds. Off-chain updates pause while a dispute runs;
/// after its defund window the next update resumes the channel: each asset paid out at the
/// latest state's defund nonce gets the next defund nonce, no balances (they were paid), its
/// processed deposits raised to what the defund counted, and in its merkle root exactly the
/// transfers of the state that paid it which were not disputed. Assets not paid out are carried
/// unchanged, defund nonce included (advancing it would let the older states pay them a second
/// time). A new dispute may then start with any state of a nonce at least the recorded one: the
/// same state again, a state signed before the last dispute, or a resumed one.
/// Both parties run a watcher (DESIGN §4.7) that acts before time passes: it answers a stale
/// dispute with the latest state and claims disputed transfers it can resolve before their
/// timeout. The fuzzer may make it sleep through one consensus window (`watcherNaps`), so that
/// a stale state wins a round and states signed before it start the next one; what the parties
/// are owed for that round then follows the stale state. `setWatcher(false)` switches it off
/// altogether, to show the invariants catch a lost dispute.
contract ChannelHandler is ChannelFixture {
    uint256 internal constant ALICE = 0;
    uint256 internal constant BOB = 1;
    /// @dev Assets 0 (ETH) and 1 (token) are in every state; asset 2, a second token, is only
    /// ever deposited, so a defund returns it to its depositors ("past the end" of the state).
    uint256 internal constant ASSETS = 3;
    uint256 internal constant STATE_ASSETS = 2;
    uint256 internal constant MAX_ACTIVE_TRANSFERS = 4;
    uint256 internal constant MAX_TRANSFERS = 24;
    uint256 internal constant MAX_COMMITMENTS = 24;
    uint256 internal constant MAX_WARP = 2 days + 12 hours;
    uint256 internal constant MAX_ETH = 100 ether;
    uint256 internal constant MAX_TOKEN = 1_000_000 ether;

    /// @notice One doubly-signed state; the CoreChannelState is rebuilt from it on demand.
    struct Snap {
        uint256[2][2] bal; // [asset][party]
        uint256[2] procA;
        uint256[2] procB;
        uint256[2] dn; // defund nonces
        uint256 nonce;
        uint256 activeMask; // bit i: xfers[i] is locked in this state's merkle root
        // Books for conservation, per asset: taken out of balances by signed withdrawals, and
        // paid out by the disputes this state resumed from.
        uint256[2] withdrawn;
        uint256[2] takenOut;
    }

    /// @notice A hashlock or Withdraw transfer, with what the chain knows of it.
    struct Xfer {
        bytes32 id;
        bytes32 preImage;
        bytes32 leaf;
        uint256 amount;
        uint256 createdIn; // the snap that first held it
        uint256 disputeExpiry;
        uint256 initiator;
        uint256 asset;
        /// @dev Hashlock: the responder holds the pre-image. Withdraw: the responder released
        /// its signature on the commitment (so the commitment is executable).
        bool responderKnows;
        bool disputed;
        bool defunded;
        bool isWithdraw;
        bool entitled; // disputed under the state property (2) holds the parties to
        uint256 fee; // Withdraw: what the responder keeps for sending the commitment
        uint256 commitment; // Withdraw: index into `commitments`
    }

    struct Commitment {
        WithdrawData wd;
        bytes32 digest;
        uint256 party;
        uint256 asset;
        bool executable; // both parties signed it
        uint256 snap; // the first state whose balances no longer hold its amount
    }

    address[2] internal parties;
    uint256[2] internal keys;
    address[3] internal assets;
    address internal keeper;
    address internal sink;

    Snap[] internal snaps;
    Xfer[] internal xfers;
    Commitment[] internal commitments;

    // ---- the channel dispute as the model expects it on-chain
    bool public disputed; // a dispute was ever recorded
    uint256 public recordedSnap;
    uint256 public consensusExpiry;
    uint256 public defundExpiry;
    uint256 public round; // the dispute round on record: moves on with every other state recorded
    uint256 internal lastDisputer;
    mapping(uint256 round => uint256) public roundSnap; // the state recorded in the round
    mapping(uint256 round => uint256) internal roundLatest; // the latest state while it ran
    mapping(uint256 round => bool) public roundNapped; // the watcher slept: the state on record won
    uint256[3] public defundNonceOf; // per asset, as `getDefundNonce`
    uint256[3] public defundRoundOf; // per asset, as `getDefundRound`
    uint256[2][3] internal depositsAtDefund; // ghostDeposited when the asset was last defunded
    bool public watcherOn = true;
    bool public gateFirstDispute = true;

    // ---- ghost accounting, per asset (and party)
    uint256[2][3] public ghostDeposited; // [asset][party]
    uint256[3] public ghostPaidOut; // withdrawals + exits
    uint256[2][3] public ghostWithdrawnPaid; // withdrawals paid, per owner
    uint256[2][3] public ghostOwed; // what the model says defunds made exitable, cumulative
    /// @dev What the defunds owe each party by the latest state of their round (the state on
    /// record if the watcher slept through it), as an honest responder claims: property (2).
    uint256[2][3] public ghostEntitled;
    uint256[2][3] public ghostExited;
    mapping(bytes32 commitment => uint256) public payouts;

    uint256 public calls; // fuzzer actions so far in this run
    uint256 public mismatches;
    string public firstMismatch;
    mapping(bytes32 => uint256) internal _hits;
    bool internal _hitsOn;
    string[] internal _hitNames;

    modifier countCall() {
        ++calls;
        _;
    }

    constructor() {
        setUp();
        parties = [alice, bob];
        keys = [aliceKey, bobKey];
        assets = [ETH, address(token), address(new TestToken("Unlisted Token", "UNL"))];
        keeper = makeAddr("keeper");
        sink = makeAddr("sink");
        Snap memory setupState;
        setupState.nonce = 1;
        setupState.dn = [uint256(1), 1];
        snaps.push(setupState);
        // Opening deposits, reconciled (nonces 2 and 3), so that every run starts with
        // balances to pay, lock and withdraw. Not counted in the action summary.
        _depositAlice(0, 10 ether);
        _depositBob(0, 5 ether);
        _depositAlice(1, 1000 ether);
        _depositBob(1, 2000 ether);
        _reconcile(0);
        _reconcile(1);
        _hitsOn = true;
    }

    // =====================================================================================
    // on-chain deposits
    // =====================================================================================

    function aliceDeposits(uint256 assetSeed, uint256 amount, bool reconcileNow) external countCall {
        uint256 a = assetSeed % ASSETS;
        _depositAlice(a, _bound(amount, 1, a == 0 ? MAX_ETH : MAX_TOKEN));
        if (reconcileNow) _reconcile(a);
    }

    /// @notice Bob deposits by a plain transfer to the channel.
    function bobDeposits(uint256 assetSeed, uint256 amount, bool reconcileNow) external countCall {
        uint256 a = assetSeed % ASSETS;
        _depositBob(a, _bound(amount, 1, a == 0 ? MAX_ETH : MAX_TOKEN));
        if (reconcileNow) _reconcile(a);
    }

    function _depositAlice(uint256 a, uint256 amount) internal {
        bool ok;
        bytes memory err;
        if (a == 0) {
            vm.deal(alice, alice.balance + amount);
            vm.prank(alice);
            try channel.depositAlice{value: amount}(ETH, amount) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        } else {
            TestToken t = TestToken(assets[a]);
            t.mint(alice, amount);
            vm.prank(alice);
            t.approve(address(channel), amount);
            vm.prank(alice);
            try channel.depositAlice(address(t), amount) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        }
        _outcome("depositAlice", true, ok, err);
        if (!ok) return;
        ghostDeposited[a][ALICE] += amount;
        _hit("depositAlice");
    }

    function _depositBob(uint256 a, uint256 amount) internal {
        bool ok;
        bytes memory err;
        if (a == 0) {
            vm.deal(bob, bob.balance + amount);
            vm.prank(bob);
            (ok, err) = address(channel).call{value: amount}("");
        } else {
            TestToken(assets[a]).mint(bob, amount);
            vm.prank(bob);
            ok = TestToken(assets[a]).transfer(address(channel), amount);
        }
        _outcome("depositBob", true, ok, err);
        if (!ok) return;
        ghostDeposited[a][BOB] += amount;
        _hit("depositBob");
    }

    // =====================================================================================
    // off-chain updates (each a new doubly-signed state, nonce + 1; none while a dispute
    // runs, and the first one after a dispute resumes the channel, see `_next`)
    // =====================================================================================

    /// @notice A deposit update: credits what arrived on-chain since the last reconcile.
    function reconcileDeposits(uint256 assetSeed) external countCall {
        _reconcile(assetSeed % 2);
    }

    function _reconcile(uint256 a) internal {
        if (_disputeRunning() || a >= STATE_ASSETS) return;
        Snap memory s = _next();
        uint256 totalA = channel.getTotalDepositsAlice(assets[a]);
        uint256 totalB = channel.getTotalDepositsBob(assets[a]);
        if (totalA < s.procA[a] || totalB < s.procB[a]) {
            _mismatch("reconcile: an on-chain deposit total went down");
            return;
        }
        if (totalA == s.procA[a] && totalB == s.procB[a]) return;
        s.bal[a][ALICE] += totalA - s.procA[a];
        s.bal[a][BOB] += totalB - s.procB[a];
        s.procA[a] = totalA;
        s.procB[a] = totalB;
        _push(s);
        _hit("reconcile");
    }

    function pay(uint256 fromSeed, uint256 assetSeed, uint256 amount) external countCall {
        if (_disputeRunning()) return;
        Snap memory s = _next();
        (uint256 p, uint256 a, bool funded) = _funded(s, fromSeed, assetSeed);
        if (!funded) return;
        amount = _bound(amount, 1, s.bal[a][p]);
        s.bal[a][p] -= amount;
        s.bal[a][1 - p] += amount;
        _push(s);
        _hit("pay");
    }

    /// @notice A create update: locks part of the initiator's balance in a hashlock transfer.
    function createHashlock(uint256 initiatorSeed, uint256 assetSeed, uint256 amount, uint256 knowsSeed)
        external
        countCall
    {
        if (_disputeRunning() || xfers.length >= MAX_TRANSFERS) return;
        Snap memory s = _next();
        (uint256 p, uint256 a, bool funded) = _funded(s, initiatorSeed, assetSeed);
        if (!funded || _popcount(s.activeMask) >= MAX_ACTIVE_TRANSFERS) return;
        amount = _bound(amount, 1, s.bal[a][p]);

        uint256 i = xfers.length;
        Xfer memory x;
        x.id = keccak256(abi.encode("transfer", address(channel), i));
        x.preImage = keccak256(abi.encode("pre-image", i));
        x.amount = amount;
        x.createdIn = snaps.length;
        x.initiator = p;
        x.asset = a;
        x.responderKnows = knowsSeed % 3 != 0;
        xfers.push(x);
        _lock(s, i);
        _hit("createHashlock");
    }

    /// @notice A create update for the protocol's withdrawal: locks `amount` in a Withdraw
    /// transfer whose state carries the initiator's signature on a commitment paying
    /// `amount - fee` to the initiator. The commitment needs the responder's signature too.
    function createWithdrawTransfer(uint256 partySeed, uint256 assetSeed, uint256 amount, uint256 feeSeed)
        external
        countCall
    {
        if (_disputeRunning() || xfers.length >= MAX_TRANSFERS || commitments.length >= MAX_COMMITMENTS) {
            return;
        }
        Snap memory s = _next();
        (uint256 p, uint256 a, bool funded) = _funded(s, partySeed, assetSeed);
        if (!funded || _popcount(s.activeMask) >= MAX_ACTIVE_TRANSFERS) return;
        amount = _bound(amount, 1, s.bal[a][p]);
        uint256 fee = feeSeed % ((amount - 1) / 10 + 1);

        WithdrawData memory wd = WithdrawData({
            channelAddress: address(channel),
            assetId: assets[a],
            recipient: payable(parties[p]),
            amount: amount - fee,
            nonce: commitments.length + 1
        });
        // The create update `_lock` pushes next is the first state without the amount.
        commitments.push(
            Commitment({
                wd: wd, digest: channel.withdrawDigest(wd), party: p, asset: a, executable: false, snap: snaps.length
            })
        );
        uint256 i = xfers.length;
        Xfer memory x;
        x.id = keccak256(abi.encode("transfer", address(channel), i));
        x.amount = amount;
        x.createdIn = snaps.length;
        x.initiator = p;
        x.asset = a;
        x.isWithdraw = true;
        x.fee = fee;
        x.commitment = commitments.length - 1;
        xfers.push(x);
        _lock(s, i);
        _hit("createWithdrawTransfer");
    }

    /// @dev The responder validates the create against the definition before it countersigns;
    /// then the initiator's balance moves into the new leaf.
    function _lock(Snap memory s, uint256 i) internal {
        Xfer storage x = xfers[i];
        (CoreTransferState memory cts, bytes memory encodedState) = _cts(i);
        address definition = x.isWithdraw ? address(withdrawDefinition) : address(hashlock);
        try ITransferDefinition(definition).create(abi.encode(cts.balance), encodedState) returns (bool accepted) {
            if (!accepted) _mismatch("create: definition refused a valid transfer");
        } catch (bytes memory e) {
            _outcome("create: definition create", true, false, e);
        }
        x.leaf = channel.transferStateHash(cts);
        s.bal[x.asset][x.initiator] -= x.amount;
        s.activeMask |= uint256(1) << i;
        _push(s);
    }

    /// @notice A resolve update. Hashlock: the responder claims with the pre-image, or cancels.
    /// Withdraw: the responder signs the commitment and resolves (keeping the fee; the rest
    /// leaves through the commitment), or only hands its signature over with no resolve update
    /// yet (the transfer stays locked in the latest state), or cancels if it never signed.
    function resolveTransfer(uint256 idxSeed, uint256 modeSeed) external countCall {
        if (_disputeRunning()) return;
        Snap memory s = _next();
        if (s.activeMask == 0) return;
        uint256 i = _pick(s.activeMask, idxSeed);
        Xfer storage x = xfers[i];
        uint256 mode = modeSeed % 3;
        if (x.isWithdraw && mode == 0 && !x.responderKnows) {
            _releaseCommitment(i);
            _hit("withdrawSignatureReleased");
            if ((modeSeed >> 8) & 1 == 1) _executeWithdrawal(x.commitment, parties[x.initiator]);
            return;
        }
        bool claim = x.isWithdraw ? (x.responderKnows || mode != 2) : (x.responderKnows && mode != 2);
        if (x.isWithdraw && claim) _releaseCommitment(i);
        uint256 toResponder = claim ? (x.isWithdraw ? x.fee : x.amount) : 0;
        uint256 toInitiator = claim ? 0 : x.amount;
        Balance memory resolved = _definitionResolve(i, _resolverOf(i, claim));
        if (resolved.amount[1] != toResponder || resolved.amount[0] != toInitiator) {
            _mismatch("resolve: the definition resolved differently from the model");
            return;
        }
        s.bal[x.asset][1 - x.initiator] += toResponder;
        s.bal[x.asset][x.initiator] += toInitiator;
        if (x.isWithdraw && claim) s.withdrawn[x.asset] += x.amount - x.fee;
        s.activeMask &= ~(uint256(1) << i);
        _push(s);
        if (!x.isWithdraw) _hit(claim ? "resolveHashlockClaim" : "resolveHashlockCancel");
        else _hit(claim ? "withdrawTransferResolved" : "withdrawTransferCancelled");
        if (x.isWithdraw && claim && (modeSeed >> 8) & 1 == 1) {
            _executeWithdrawal(x.commitment, parties[x.initiator]);
        }
    }

    function _releaseCommitment(uint256 i) internal {
        xfers[i].responderKnows = true;
        commitments[xfers[i].commitment].executable = true;
    }

    function _definitionResolve(uint256 i, bytes memory resolver) internal returns (Balance memory resolved) {
        (CoreTransferState memory cts, bytes memory encodedState) = _cts(i);
        address definition = xfers[i].isWithdraw ? address(withdrawDefinition) : address(hashlock);
        try ITransferDefinition(definition).resolve(abi.encode(cts.balance), encodedState, resolver) returns (
            Balance memory b
        ) {
            resolved = b;
        } catch (bytes memory e) {
            _outcome("resolve: definition resolve", true, false, e);
        }
    }

    /// @notice Takes part of a balance out in a new state and signs the withdrawal commitment;
    /// the commitment is executed now or later.
    function withdrawOffchain(uint256 partySeed, uint256 assetSeed, uint256 amount, bool executeNow)
        external
        countCall
    {
        if (_disputeRunning() || commitments.length >= MAX_COMMITMENTS) return;
        Snap memory s = _next();
        (uint256 p, uint256 a, bool funded) = _funded(s, partySeed, assetSeed);
        if (!funded) return;
        amount = _bound(amount, 1, s.bal[a][p]);
        s.bal[a][p] -= amount;
        s.withdrawn[a] += amount;
        _push(s);

        WithdrawData memory wd = WithdrawData({
            channelAddress: address(channel),
            assetId: assets[a],
            recipient: payable(parties[p]),
            amount: amount,
            nonce: commitments.length + 1
        });
        commitments.push(
            Commitment({
                wd: wd, digest: channel.withdrawDigest(wd), party: p, asset: a, executable: true, snap: snaps.length - 1
            })
        );
        _hit("withdrawSigned");
        if (executeNow) _executeWithdrawal(commitments.length - 1, parties[p]);
    }

    /// @notice Executes a signed commitment, or replays one already paid, or submits one the
    /// responder never signed with the initiator's signature twice (both must revert).
    function executeWithdrawal(uint256 idxSeed, uint256 callerSeed) external countCall {
        if (commitments.length == 0) return;
        _executeWithdrawal(idxSeed % commitments.length, _actor(callerSeed));
    }

    // =====================================================================================
    // disputes
    // =====================================================================================

    /// @notice Either party disputes with the latest state or any older one (the adversary):
    /// any state at all, or, once a dispute is on record, the recorded state again or any state
    /// of a nonce at least its own (states signed before the last dispute included).
    /// The first dispute waits for a random number of calls (6 to 17) so that most runs build
    /// up some off-chain history first, and still have calls left for later rounds.
    /// One time in eight the wronged party's watcher is asleep (see `watcherNaps`).
    function disputeChannel(uint256 callerSeed, uint256 stateSeed, bool useLatest) external countCall {
        if (!disputed && gateFirstDispute && calls < 6 + (stateSeed >> 128) % 12) return;
        bool ok = _disputeChannel(callerSeed % 2, _disputeState(stateSeed, useLatest), "disputeChannel");
        if (ok && uint256(keccak256(abi.encode(stateSeed))) % 8 == 0) _nap();
    }

    /// @notice The next dispute round, in one step: the running round ends, half of the time
    /// after an honest party paid out all it could in it (time passes; the watchers act first),
    /// the parties resume the channel with an update if `resumeFirst`, and a party starts a new
    /// dispute with a state chosen as `disputeChannel` does. Runs are too short to reach later
    /// rounds often one window at a time.
    function nextRound(uint256 callerSeed, uint256 stateSeed, bool resumeFirst) external countCall {
        if (!disputed) return;
        if (_disputeRunning() && (callerSeed >> 8) & 1 == 1) _finishRound("nextRound: finish the round");
        if (block.timestamp < defundExpiry) _warpWatching(defundExpiry);
        if (resumeFirst) _push(_next());
        bool ok = _disputeChannel(callerSeed % 2, _disputeState(stateSeed, false), "nextRound: disputeChannel");
        if (ok && uint256(keccak256(abi.encode(stateSeed))) % 8 == 0) _nap();
    }

    function _disputeState(uint256 stateSeed, bool useLatest) internal view returns (uint256 k) {
        uint256 last = snaps.length - 1;
        uint256 mode = (stateSeed >> 64) % 4;
        if (useLatest) return last;
        if (disputed && mode == 1) return recordedSnap;
        if (disputed && mode == 2) return recordedSnap + (stateSeed >> 8) % (last - recordedSnap + 1);
        return stateSeed % snaps.length;
    }

    /// @notice The watcher of the party a stale dispute wrongs sleeps through the running
    /// consensus window: the stale state wins this round. Only while no withdrawal signed by
    /// both parties after that state exists: its balances would pay such a withdrawal a second
    /// time (a loss the watcher exists to prevent, not one the rounds are about). A withdrawal
    /// transfer created after it cannot be released any more once it wins: no update while the
    /// dispute runs, and a resumed state drops it with the asset the stale state paid out.
    function watcherNaps() external countCall {
        _nap();
    }

    function _nap() internal {
        if (!disputed || block.timestamp >= consensusExpiry || recordedSnap == snaps.length - 1) return;
        for (uint256 c; c < commitments.length; ++c) {
            if (commitments[c].snap > recordedSnap && commitments[c].executable) return;
        }
        roundNapped[round] = true;
        _hit("watcherNapped");
    }

    /// @notice Time passes; the watchers act first. Lands exactly on the next deadline of a
    /// window (or one second before it) half of the time, to probe the window edges.
    function warp(uint256 secondsSeed) external countCall {
        _watch();
        uint256 mode = secondsSeed % 4;
        uint256 deadline = _nextDeadline();
        uint256 target;
        if (mode < 2 && deadline > block.timestamp + 1) {
            target = mode == 0 ? deadline : deadline - 1;
        } else {
            target = block.timestamp + _bound(secondsSeed >> 2, 1, mode == 3 ? MAX_WARP : TIMEOUT / 2);
        }
        vm.warp(target);
        _hit("warp");
    }

    /// @notice Defunds some assets with the recorded state, or tries a stale state, or a wrong
    /// index: past the end for an asset the state has (skipping its balances), or a state
    /// asset's index for the unlisted one.
    function defundChannel(uint256 callerSeed, uint256 assetSeed, uint256 stateSeed, bool useStale) external countCall {
        uint256 k = disputed ? recordedSnap : snaps.length - 1;
        if (useStale && stateSeed % 2 == 0) k = (stateSeed >> 1) % snaps.length; // a quarter of the time
        uint256 assetMask = assetSeed % 7 + 1; // any non-empty subset of the three assets
        bool badIndex = (assetSeed / 7) % 8 == 0;
        _defundChannel(_actor(callerSeed), k, assetMask, badIndex, "defundChannel");
    }

    /// @notice Disputes a transfer of the recorded merkle root, or tries one outside it. Half
    /// of the time the caller first defunds the transfer's asset, if the recorded state can
    /// still pay it out (the order the contract asks for); otherwise the dispute goes ahead
    /// whether or not the asset was paid out this round.
    function disputeTransfer(uint256 callerSeed, uint256 idxSeed, bool outside) external countCall {
        if (xfers.length == 0) return;
        uint256 recordedMask = disputed ? snaps[recordedSnap].activeMask : 0;
        uint256 i;
        uint256 mask;
        if (outside || recordedMask == 0) {
            i = idxSeed % xfers.length;
            mask = snaps[xfers[i].createdIn].activeMask;
        } else {
            i = _pick(recordedMask, idxSeed);
            mask = recordedMask;
        }
        uint256 a = xfers[i].asset;
        if ((callerSeed >> 8) & 1 == 1 && _inDefundPhase() && _dnOf(recordedSnap, a) > defundNonceOf[a]) {
            _defundChannel(_actor(callerSeed), recordedSnap, uint256(1) << a, false, "disputeTransfer: defund first");
        }
        _disputeTransfer(_actor(callerSeed), i, mask, "disputeTransfer");
    }

    /// @notice Defunds a transfer: the responder resolves it (or the initiator with the
    /// responder's signed resolver) before its timeout, anyone after it.
    function defundTransfer(uint256 callerSeed, uint256 idxSeed, bool withSignature) external countCall {
        if (xfers.length == 0) return;
        _defundTransfer(callerSeed % 2, idxSeed % xfers.length, withSignature, "defundTransfer");
    }

    /// @notice Exits a party's exitable amount: by the owner, or by anyone to the owner, and
    /// (must revert) by a third party to itself.
    function exit(uint256 callerSeed, uint256 ownerSeed, uint256 assetSeed, uint256 recipientSeed) external countCall {
        // The owner and asset named, or the nearest pair with something to exit.
        uint256 p;
        uint256 a;
        for (uint256 t; t < 2 * ASSETS; ++t) {
            p = (ownerSeed % 2 + t) % 2;
            a = (assetSeed % ASSETS + t / 2) % ASSETS;
            if (ghostOwed[a][p] > ghostExited[a][p]) break;
        }
        address caller = _actor(callerSeed);
        uint256 r = recipientSeed % 4;
        address recipient = r < 2 ? parties[p] : (r == 2 ? caller : sink);
        _exit(caller, p, a, recipient, "exit");
    }

    // =====================================================================================
    // test hooks (not targeted by the fuzzer)
    // =====================================================================================

    function setWatcher(bool on) external {
        watcherOn = on;
    }

    /// @notice Lets the first dispute happen at any call (for hand-written sequences).
    function setDisputeGate(bool on) external {
        gateFirstDispute = on;
    }

    function channelAddress() external view returns (address) {
        return address(channel);
    }

    function tokenAddress() external view returns (address) {
        return address(token);
    }

    function commitmentCount() external view returns (uint256) {
        return commitments.length;
    }

    function commitmentDigest(uint256 i) external view returns (bytes32) {
        return commitments[i].digest;
    }

    function stateCount() external view returns (uint256) {
        return snaps.length;
    }

    function latestBalance(uint256 a, uint256 p) external view returns (uint256) {
        return snaps[snaps.length - 1].bal[a][p];
    }

    function hits(string calldata name) external view returns (uint256) {
        return _hits[keccak256(bytes(name))];
    }

    /// @notice Whether the asset was paid out at the latest state's defund nonce (the unlisted
    /// one: at all).
    function assetDefunded(uint256 a) public view returns (bool) {
        return defundNonceOf[a] == _dnOf(snaps.length - 1, a);
    }

    /// @notice Deposits since the asset was paid out at the latest state's defund nonce: no
    /// state signed so far credits them (the next resumed state will, except for the unlisted
    /// asset, which no state lists).
    function ghostStuck(uint256 a, uint256 p) public view returns (uint256) {
        return assetDefunded(a) ? ghostDeposited[a][p] - depositsAtDefund[a][p] : 0;
    }

    function latestDefundNonce(uint256 a) external view returns (uint256) {
        return snaps[snaps.length - 1].dn[a];
    }

    /// @notice Carries the channel through to the end as an honest party would. A running
    /// dispute round is finished as it stands (every asset it can pay defunded, then every
    /// transfer it can pay disputed). Unless that paid out the latest state entirely, the
    /// channel resumes after the round and the latest state is disputed in a last round. Then
    /// every disputed transfer is defunded, every signed commitment executed and everything
    /// exited. Afterwards only deposits of the unlisted asset made after it was defunded may
    /// remain in the channel.
    function settle() external {
        _watch();
        if (_disputeRunning()) _finishRound("settle: the running round");
        if (!_latestPaidOut()) {
            if (disputed) {
                if (block.timestamp < defundExpiry) _warpWatching(defundExpiry);
                _push(_next()); // the update that resumes the channel
            }
            _disputeChannel(BOB, snaps.length - 1, "settle: dispute the latest state");
            _finishRound("settle: the last round");
        }
        // Responders claim what they can before the timeouts; the rest returns to initiators.
        uint256 latestExpiry;
        for (uint256 i; i < xfers.length; ++i) {
            Xfer storage x = xfers[i];
            if (!x.disputed || x.defunded) continue;
            if (x.responderKnows && block.timestamp < x.disputeExpiry) {
                _defundTransfer(1 - x.initiator, i, false, "settle: responder defunds");
            } else if (x.disputeExpiry > latestExpiry) {
                latestExpiry = x.disputeExpiry;
            }
        }
        if (latestExpiry > block.timestamp) vm.warp(latestExpiry);
        for (uint256 i; i < xfers.length; ++i) {
            if (xfers[i].disputed && !xfers[i].defunded) {
                _defundTransfer(xfers[i].initiator, i, false, "settle: initiator defunds after timeout");
            }
        }

        for (uint256 i; i < commitments.length; ++i) {
            if (commitments[i].executable && payouts[commitments[i].digest] == 0) _executeWithdrawal(i, keeper);
        }
        for (uint256 a; a < ASSETS; ++a) {
            for (uint256 p; p < 2; ++p) {
                if (ghostOwed[a][p] > ghostExited[a][p]) _exit(parties[p], p, a, parties[p], "settle: exit");
            }
        }
    }

    /// @dev Past the consensus window of the round on record, then defunds every asset the
    /// recorded state can still pay out and disputes every transfer of it that this round can
    /// pay.
    function _finishRound(string memory label) internal {
        if (block.timestamp < consensusExpiry) _warpWatching(consensusExpiry);
        uint256 assetMask;
        for (uint256 a; a < ASSETS; ++a) {
            if (_dnOf(recordedSnap, a) > defundNonceOf[a]) assetMask |= uint256(1) << a;
        }
        if (assetMask != 0) _defundChannel(alice, recordedSnap, assetMask, false, label);
        uint256 mask = snaps[recordedSnap].activeMask;
        for (uint256 i; i < xfers.length; ++i) {
            Xfer storage x = xfers[i];
            if ((mask >> i) & 1 == 1 && !x.disputed && defundRoundOf[x.asset] == round) {
                _disputeTransfer(parties[1 - x.initiator], i, mask, label);
            }
        }
    }

    /// @dev The latest state is on record and has paid out every asset and transfer it holds.
    function _latestPaidOut() internal view returns (bool) {
        uint256 last = snaps.length - 1;
        if (!disputed || defundNonceOf[STATE_ASSETS] == 0) return false;
        for (uint256 a; a < STATE_ASSETS; ++a) {
            if (defundNonceOf[a] != snaps[last].dn[a] || roundSnap[defundRoundOf[a]] != last) return false;
        }
        for (uint256 i; i < xfers.length; ++i) {
            if ((snaps[last].activeMask >> i) & 1 == 1 && !xfers[i].disputed) return false;
        }
        return true;
    }

    /// @dev Time passes to `target`; the watchers act first.
    function _warpWatching(uint256 target) internal {
        _watch();
        vm.warp(target);
    }

    // =====================================================================================
    // checks: each reverts with a message when its property does not hold
    // =====================================================================================

    /// @notice (1) Per asset, the channel never pays out more than was deposited, and holds
    /// exactly deposited − paid out; its own counters agree with the ghosts.
    function checkSolvency() external view {
        for (uint256 a; a < ASSETS; ++a) {
            uint256 deposited = ghostDeposited[a][ALICE] + ghostDeposited[a][BOB];
            assertLe(ghostPaidOut[a], deposited, "(1) the channel paid out more than was deposited");
            assertEq(
                _balanceOf(a, address(channel)),
                deposited - ghostPaidOut[a],
                "(1) channel holdings != deposited - paid out"
            );
            assertEq(
                channel.getTotalTransferred(assets[a]),
                ghostPaidOut[a],
                "(1) getTotalTransferred != withdrawals + exits"
            );
            assertEq(
                channel.getTotalDepositsAlice(assets[a]), ghostDeposited[a][ALICE], "(1) alice's deposit total is wrong"
            );
            assertEq(channel.getTotalDepositsBob(assets[a]), ghostDeposited[a][BOB], "(1) bob's deposit total is wrong");
            // What the channel already owes must be there: a unit paid twice shows up here,
            // before the exit or withdrawal that would find the channel short.
            uint256 owedNow = channel.getExitableAmount(assets[a], alice) + channel.getExitableAmount(assets[a], bob);
            for (uint256 c; c < commitments.length; ++c) {
                Commitment storage cm = commitments[c];
                if (cm.asset == a && cm.executable && payouts[cm.digest] == 0) owedNow += cm.wd.amount;
            }
            assertLe(owedNow, _balanceOf(a, address(channel)), "(1) exitable + signed withdrawals exceed the holdings");
        }
    }

    /// @notice (2) Each party holding the latest doubly-signed state has recovered (exitable +
    /// exited) at least what the defunds so far owe it by that state, round after round: for
    /// each asset paid out, its balance in the latest state of that round plus its deposits that
    /// state never processed; for each transfer of that state defunded, what its resolution owes
    /// it. Whatever stale state was submitted; only for a round the watcher slept through is the
    /// state on record what counts.
    function checkLatestStateRecovered() external view {
        for (uint256 a; a < ASSETS; ++a) {
            for (uint256 p; p < 2; ++p) {
                assertGe(
                    channel.getExitableAmount(assets[a], parties[p]) + ghostExited[a][p],
                    ghostEntitled[a][p],
                    p == ALICE
                        ? "(2) alice recovered less than the latest state owes her"
                        : "(2) bob recovered less than the latest state owes him"
                );
            }
        }
    }

    /// @notice (2) The latest state wins: once a consensus window is over and until the round's
    /// defund window ends, the state on record is the latest one (the watcher answers every
    /// stale dispute in time), unless the watcher slept through this round.
    function checkLatestStateWins() external view {
        ChannelDispute memory d = channel.getChannelDispute();
        if (d.nonce == 0 || block.timestamp < d.consensusExpiry || block.timestamp >= d.defundExpiry) return;
        if (roundNapped[d.round]) return;
        assertEq(d.nonce, snaps[snaps.length - 1].nonce, "(2) a stale state outlived the consensus window");
    }

    /// @notice (3) Every withdrawal commitment paid out at most once, and the channel knows it.
    function checkWithdrawalsPaidOnce() external view {
        for (uint256 i; i < commitments.length; ++i) {
            bytes32 digest = commitments[i].digest;
            assertLe(payouts[digest], 1, "(3) a withdrawal commitment paid out twice");
            assertEq(
                channel.isWithdrawalExecuted(digest), payouts[digest] == 1, "(3) executed flag disagrees with payouts"
            );
        }
    }

    /// @notice Exact accounting: exitable + exited == what the model says the defunds owed.
    function checkExitableMatchesModel() external view {
        for (uint256 a; a < ASSETS; ++a) {
            for (uint256 p; p < 2; ++p) {
                assertEq(
                    channel.getExitableAmount(assets[a], parties[p]) + ghostExited[a][p],
                    ghostOwed[a][p],
                    "exitable + exited != what the model's defunds owe"
                );
            }
        }
    }

    /// @notice DESIGN §6 conservation, on the model: per asset, balances + locked transfers ==
    /// processed deposits − withdrawn − what earlier disputes paid out, in the latest state.
    function checkConservation() external view {
        Snap storage s = snaps[snaps.length - 1];
        for (uint256 a; a < 2; ++a) {
            uint256 locked;
            for (uint256 i; i < xfers.length; ++i) {
                if ((s.activeMask >> i) & 1 == 1 && xfers[i].asset == a) locked += xfers[i].amount;
            }
            assertEq(
                s.bal[a][ALICE] + s.bal[a][BOB] + locked + s.withdrawn[a] + s.takenOut[a],
                s.procA[a] + s.procB[a],
                "conservation: balances + locked != processed deposits - withdrawn - paid out"
            );
        }
    }

    /// @notice The chain did what the model predicted, call by call, and holds the dispute,
    /// defund nonces and transfer records the model expects.
    function checkChannelMatchesModel() external view {
        assertEq(mismatches, 0, firstMismatch);
        ChannelDispute memory d = channel.getChannelDispute();
        if (disputed) {
            assertEq(d.nonce, snaps[recordedSnap].nonce, "model: recorded dispute nonce");
            assertEq(d.channelStateHash, channel.channelStateHash(_state(recordedSnap)), "model: recorded state");
            assertEq(d.consensusExpiry, consensusExpiry, "model: consensus expiry");
            assertEq(d.defundExpiry, defundExpiry, "model: defund expiry");
        } else {
            assertEq(d.nonce, 0, "model: a dispute the model does not know of");
        }
        assertEq(d.round, round, "model: dispute round");
        for (uint256 a; a < ASSETS; ++a) {
            assertEq(channel.getDefundNonce(assets[a]), defundNonceOf[a], "model: defund nonce");
            assertEq(channel.getDefundRound(assets[a]), defundRoundOf[a], "model: defund round");
        }
        for (uint256 i; i < xfers.length; ++i) {
            TransferDispute memory td = channel.getTransferDispute(xfers[i].id);
            assertEq(td.transferStateHash != bytes32(0), xfers[i].disputed, "model: transfer disputed");
            assertEq(td.isDefunded, xfers[i].defunded, "model: transfer defunded");
        }
    }

    /// @notice After `settle`: the latest state is on record and paid out, nothing exitable is
    /// left, every commitment was paid, and the channel holds only deposits that arrived after
    /// their asset was defunded.
    function checkSettled() external view {
        for (uint256 a; a < ASSETS; ++a) {
            assertTrue(assetDefunded(a), "settled: an asset was not paid out at the latest defund nonce");
            assertEq(
                _balanceOf(a, address(channel)),
                ghostStuck(a, ALICE) + ghostStuck(a, BOB),
                "settled: funds left in the channel"
            );
            for (uint256 p; p < 2; ++p) {
                assertEq(channel.getExitableAmount(assets[a], parties[p]), 0, "settled: exitable left");
                assertEq(ghostExited[a][p], ghostOwed[a][p], "settled: exited != owed");
            }
        }
        assertEq(recordedSnap, snaps.length - 1, "settled: the latest state is not on record");
        for (uint256 i; i < xfers.length; ++i) {
            if ((snaps[recordedSnap].activeMask >> i) & 1 == 1) {
                assertTrue(xfers[i].defunded, "settled: a transfer of the final state was not defunded");
            }
        }
        for (uint256 i; i < commitments.length; ++i) {
            assertEq(
                payouts[commitments[i].digest],
                commitments[i].executable ? 1 : 0,
                "settled: a doubly-signed commitment was not paid once"
            );
        }
    }

    function callSummary() external view {
        console.log("---- channel handler: successful actions ----");
        for (uint256 i; i < _hitNames.length; ++i) {
            console.log(_hitNames[i], _hits[keccak256(bytes(_hitNames[i]))]);
        }
        console.log("states", snaps.length, "transfers", xfers.length);
        console.log("commitments", commitments.length, "mismatches", mismatches);
    }

    // =====================================================================================
    // internals
    // =====================================================================================

    function _disputeChannel(uint256 p, uint256 k, string memory label) internal returns (bool ok) {
        CoreChannelState memory ccs = _state(k);
        bytes32 digest = channel.channelStateDigest(ccs);
        bytes memory sigA = sign(aliceKey, digest);
        bytes memory sigB = sign(bobKey, digest);
        uint256 n = snaps[k].nonce;
        uint256 recordedNonce = disputed ? snaps[recordedSnap].nonce : 0;
        bool inConsensus = disputed && block.timestamp < consensusExpiry;
        bool expected = !_inDefundPhase() && (inConsensus ? n > recordedNonce : n >= recordedNonce);
        bytes memory err;
        vm.prank(parties[p]);
        try channel.disputeChannel(ccs, sigA, sigB) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
        _outcome(label, expected, ok, err);
        bool stale = k != snaps.length - 1;
        if (!ok) {
            if (stale) _hit("staleDisputeRejected");
            return false;
        }
        bool again = disputed && k == recordedSnap;
        if (!inConsensus) {
            consensusExpiry = block.timestamp + TIMEOUT;
            defundExpiry = block.timestamp + 2 * TIMEOUT;
            _hit("disputeStarted");
            if (disputed) _hit("laterDisputeStarted");
            if (disputed && k < snaps.length - 1) _hit(again ? "sameStateAgain" : "olderStateInLaterDispute");
        }
        if (!again) {
            // Another state: the contract counts a new round.
            ++round;
            roundSnap[round] = k;
        }
        // A watcher's nap lasts one consensus window; the latest state may have moved on since
        // the round began (the same state recorded again after the channel resumed).
        roundNapped[round] = false;
        roundLatest[round] = snaps.length - 1;
        disputed = true;
        recordedSnap = k;
        lastDisputer = p;
        _hit(stale ? "staleDisputeAccepted" : "latestDisputed");
    }

    function _defundChannel(address caller, uint256 k, uint256 assetMask, bool badIndex, string memory label) internal {
        uint256 n = _popcount(assetMask);
        address[] memory ids = new address[](n);
        uint256[] memory indices = new uint256[](n);
        uint256[] memory which = new uint256[](n);
        uint256 j;
        for (uint256 a; a < ASSETS; ++a) {
            if ((assetMask >> a) & 1 == 0) continue;
            ids[j] = assets[a];
            // The unlisted asset: any index past the end, here the first one or a far one.
            indices[j] = a < STATE_ASSETS ? a : (assetMask % 2 == 0 ? STATE_ASSETS : 9);
            which[j++] = a;
        }
        if (badIndex) indices[0] = which[0] < STATE_ASSETS ? 7 : 0;
        bool expected = disputed && k == recordedSnap && _inDefundPhase() && !badIndex;
        for (j = 0; j < n; ++j) {
            // Paid out at this defund nonce already, in this round or an earlier one.
            if (_dnOf(k, which[j]) <= defundNonceOf[which[j]]) expected = false;
        }
        CoreChannelState memory ccs = _state(k);
        bool ok;
        bytes memory err;
        vm.prank(caller);
        try channel.defundChannel(ccs, ids, indices) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
        _outcome(label, expected, ok, err);
        if (!ok) {
            // forge-lint: disable-next-line(unsafe-typecast)
            bytes4 selector = bytes4(err);
            if (disputed && _inDefundPhase()) {
                if (badIndex) _hit("skippedBalanceRejected");
                else if (k != recordedSnap) _hit("staleDefundRejected");
                else if (selector == IChannelErrors.AssetAlreadyDefunded.selector) _hit("repeatDefundRejected");
            }
            return;
        }
        for (j = 0; j < n; ++j) {
            _recordDefund(k, which[j]);
        }
        _hit("defundChannel");
    }

    /// @dev Asset `a` paid out by state `k` (on record): what it owes each party, and by the
    /// state property (2) holds them to; the chain's defund nonce and round.
    function _recordDefund(uint256 k, uint256 a) internal {
        Snap storage r = snaps[k];
        Snap storage e = snaps[_entitlementSource()];
        for (uint256 p; p < 2; ++p) {
            ghostOwed[a][p] += _stateBalance(r, a, p) + _unprocessed(ghostDeposited[a][p], _processed(r, a, p));
            ghostEntitled[a][p] += _stateBalance(e, a, p) + _unprocessed(ghostDeposited[a][p], _processed(e, a, p));
            depositsAtDefund[a][p] = ghostDeposited[a][p];
        }
        if (_dnOf(k, a) > 1) _hit("resumedStateDefunded");
        defundNonceOf[a] = _dnOf(k, a);
        defundRoundOf[a] = round;
    }

    function _disputeTransfer(address caller, uint256 i, uint256 mask, string memory label) internal {
        (CoreTransferState memory cts,) = _cts(i);
        bytes32[] memory leaves = _leaves(mask);
        bytes32[] memory proof = Merkle.proof(leaves, _position(mask, i));
        bool inRecordedRoot = disputed && Merkle.root(leaves) == Merkle.root(_leaves(snaps[recordedSnap].activeMask))
            && (snaps[recordedSnap].activeMask >> i) & 1 == 1;
        // Only once its asset was paid out in this round, i.e. under the state on record.
        bool assetPaidThisRound = disputed && defundRoundOf[xfers[i].asset] == round;
        bool expected = _inDefundPhase() && !xfers[i].disputed && assetPaidThisRound && inRecordedRoot;
        bool ok;
        bytes memory err;
        vm.prank(caller);
        try channel.disputeTransfer(cts, proof) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
        _outcome(label, expected, ok, err);
        if (!ok) {
            if (!_inDefundPhase() || xfers[i].disputed) return;
            // forge-lint: disable-next-line(unsafe-typecast)
            bytes4 selector = bytes4(err);
            if (!inRecordedRoot) _hit("foreignTransferRejected");
            else if (selector == IChannelErrors.AssetNotDefundedThisRound.selector) _hit("unpaidAssetTransferRejected");
            return;
        }
        xfers[i].disputed = true;
        xfers[i].disputeExpiry = block.timestamp + cts.transferTimeout;
        xfers[i].entitled = (snaps[_entitlementSource()].activeMask >> i) & 1 == 1;
        _hit("disputeTransfer");
    }

    function _defundTransfer(uint256 p, uint256 i, bool withSignature, string memory label) internal {
        Xfer storage x = xfers[i];
        bool beforeTimeout = block.timestamp < x.disputeExpiry;
        (bool ok, bytes memory err, bool signed) = _callDefundTransfer(p, i, withSignature);
        _outcome(label, x.disputed && !x.defunded && (!beforeTimeout || p == 1 - x.initiator || signed), ok, err);
        if (!ok) return;
        x.defunded = true;
        if (beforeTimeout && x.responderKnows) {
            ghostOwed[x.asset][1 - x.initiator] += x.isWithdraw ? x.fee : x.amount;
        } else {
            ghostOwed[x.asset][x.initiator] += x.amount;
        }
        if (x.entitled) {
            for (uint256 q; q < 2; ++q) {
                ghostEntitled[x.asset][q] += _owedTo(x, q);
            }
        }
        _hit(beforeTimeout ? "defundTransferResolved" : "defundTransferAfterTimeout");
    }

    /// @dev The responder's choice: claim when it holds the pre-image, cancel otherwise. Anyone
    /// else submits it only with the responder's signature on that resolver.
    function _callDefundTransfer(uint256 p, uint256 i, bool withSignature)
        internal
        returns (bool ok, bytes memory err, bool signed)
    {
        Xfer storage x = xfers[i];
        uint256 responder = 1 - x.initiator;
        (CoreTransferState memory cts, bytes memory encodedState) = _cts(i);
        bytes memory resolver = _resolverOf(i, x.responderKnows);
        bytes memory signature;
        if (withSignature && p != responder) {
            signature = sign(keys[responder], channel.transferResolutionDigest(x.id, resolver));
            signed = true;
        }
        vm.prank(parties[p]);
        try channel.defundTransfer(cts, encodedState, resolver, signature) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
    }

    function _executeWithdrawal(uint256 idx, address caller) internal {
        Commitment storage c = commitments[idx];
        WithdrawData memory wd = c.wd;
        bytes memory sigA = sign(aliceKey, c.digest);
        bytes memory sigB = sign(bobKey, c.digest);
        if (!c.executable) {
            // The responder never signed: the initiator tries with its own signature twice.
            sigA = sign(keys[c.party], c.digest);
            sigB = sigA;
        }
        bool replay = payouts[c.digest] > 0;
        uint256 before = _balanceOf(c.asset, wd.recipient);
        bool ok;
        bytes memory err;
        vm.prank(caller);
        try channel.withdraw(wd, sigA, sigB) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
        _outcome(replay ? "withdraw replay" : "withdraw", !replay && c.executable, ok, err);
        if (!ok) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (!c.executable && bytes4(err) == IChannelErrors.InvalidSignature.selector) {
                _hit("unsignedWithdrawRejected");
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            if (replay && bytes4(err) == IChannelErrors.WithdrawalAlreadyExecuted.selector) _hit("replayRejected");
            return;
        }
        uint256 paid = _balanceOf(c.asset, wd.recipient) - before;
        if (paid != wd.amount) _mismatch("withdraw paid a different amount than committed");
        payouts[c.digest] += 1;
        ghostPaidOut[c.asset] += paid;
        ghostWithdrawnPaid[c.asset][c.party] += paid;
        _hit("withdrawExecuted");
    }

    function _exit(address caller, uint256 p, uint256 a, address recipient, string memory label) internal {
        address owner_ = parties[p];
        uint256 due = ghostOwed[a][p] > ghostExited[a][p] ? ghostOwed[a][p] - ghostExited[a][p] : 0;
        bool expected = (caller == owner_ || recipient == owner_) && due > 0;
        uint256 before = _balanceOf(a, recipient);
        bool ok;
        bytes memory err;
        vm.prank(caller);
        try channel.exit(assets[a], owner_, payable(recipient)) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
        _outcome(label, expected, ok, err);
        if (!ok) {
            if (caller != owner_ && recipient != owner_ && due > 0) _hit("unauthorizedExitRejected");
            return;
        }
        uint256 paid = _balanceOf(a, recipient) - before;
        if (paid != due) _mismatch("exit paid a different amount than the model owed");
        ghostExited[a][p] += paid;
        ghostPaidOut[a] += paid;
        _hit("exit");
    }

    /// @dev The watchers of both parties, acting before time passes.
    function _watch() internal {
        if (!watcherOn) return;
        uint256 last = snaps.length - 1;
        if (disputed && block.timestamp < consensusExpiry && recordedSnap != last && !roundNapped[round]) {
            if (_disputeChannel(1 - lastDisputer, last, "watcher: answer a stale dispute")) _hit("watcherAnswered");
        }
        for (uint256 i; i < xfers.length; ++i) {
            Xfer storage x = xfers[i];
            if (x.disputed && !x.defunded && x.responderKnows && block.timestamp < x.disputeExpiry) {
                _defundTransfer(1 - x.initiator, i, false, "watcher: claim a disputed transfer");
            }
        }
    }

    function _state(uint256 k) internal view returns (CoreChannelState memory ccs) {
        Snap storage s = snaps[k];
        ccs.channelAddress = address(channel);
        ccs.alice = alice;
        ccs.bob = bob;
        ccs.assetIds = new address[](2);
        ccs.balances = new Balance[](2);
        ccs.processedDepositsA = new uint256[](2);
        ccs.processedDepositsB = new uint256[](2);
        ccs.defundNonces = new uint256[](2);
        for (uint256 a; a < 2; ++a) {
            ccs.assetIds[a] = assets[a];
            ccs.balances[a] = twoParty(payable(alice), payable(bob), s.bal[a][ALICE], s.bal[a][BOB]);
            ccs.processedDepositsA[a] = s.procA[a];
            ccs.processedDepositsB[a] = s.procB[a];
            ccs.defundNonces[a] = s.dn[a];
        }
        ccs.timeout = TIMEOUT;
        ccs.nonce = s.nonce;
        ccs.merkleRoot = Merkle.root(_leaves(s.activeMask));
    }

    function _cts(uint256 i) internal view returns (CoreTransferState memory cts, bytes memory encodedState) {
        Xfer storage x = xfers[i];
        address initiator = parties[x.initiator];
        address responder = parties[1 - x.initiator];
        if (!x.isWithdraw) {
            return hashlockTransfer(x.id, initiator, responder, assets[x.asset], x.amount, x.preImage, 0);
        }
        Commitment storage c = commitments[x.commitment];
        encodedState = abi.encode(
            Withdraw.WithdrawState({
                initiatorSignature: sign(keys[x.initiator], c.digest),
                initiator: initiator,
                responder: responder,
                data: c.digest,
                nonce: c.wd.nonce,
                fee: x.fee
            })
        );
        cts = CoreTransferState({
            channelAddress: address(channel),
            transferId: x.id,
            transferDefinition: address(withdrawDefinition),
            initiator: initiator,
            responder: responder,
            assetId: assets[x.asset],
            balance: twoParty(payable(initiator), payable(responder), x.amount, 0),
            transferTimeout: TIMEOUT,
            initialStateHash: keccak256(encodedState)
        });
    }

    /// @dev The responder's resolver: claim (pre-image / its commitment signature) or cancel.
    function _resolverOf(uint256 i, bool claim) internal view returns (bytes memory) {
        Xfer storage x = xfers[i];
        if (!x.isWithdraw) {
            return abi.encode(HashlockTransfer.HashlockResolver({preImage: claim ? x.preImage : bytes32(0)}));
        }
        bytes memory signature = claim ? sign(keys[1 - x.initiator], commitments[x.commitment].digest) : bytes("");
        return abi.encode(Withdraw.WithdrawResolver({responderSignature: signature}));
    }

    /// @dev What a transfer of the latest state owes party `p` once defunded: the responder
    /// claims what it can resolve (a Withdraw's fee; the rest is the commitment's), everything
    /// else returns to the initiator.
    function _owedTo(Xfer storage x, uint256 p) internal view returns (uint256) {
        if (!x.responderKnows) return p == x.initiator ? x.amount : 0;
        if (p == x.initiator) return 0;
        return x.isWithdraw ? x.fee : x.amount;
    }

    /// @dev The party and asset the seeds name, or the nearest pair with a positive balance.
    function _funded(Snap memory s, uint256 partySeed, uint256 assetSeed)
        internal
        pure
        returns (uint256 p, uint256 a, bool funded)
    {
        for (uint256 t; t < 4; ++t) {
            p = (partySeed % 2 + t) % 2;
            a = (assetSeed % 2 + t / 2) % 2;
            if (s.bal[a][p] > 0) return (p, a, true);
        }
    }

    /// @dev The base of the next update: the latest state with the next nonce, resumed if a
    /// dispute paid out assets at its defund nonces. Such an asset continues from the state that
    /// paid it out (the latest, unless the watcher slept): no balances, processed deposits raised
    /// to what the defund counted, the next defund nonce, and that state's transfers of the
    /// asset that were not disputed (the disputed ones are paid on-chain). Every other asset is
    /// carried as it is, defund nonce included.
    function _next() internal view returns (Snap memory s) {
        s = snaps[snaps.length - 1];
        s.nonce += 1;
        for (uint256 a; a < STATE_ASSETS; ++a) {
            if (defundNonceOf[a] != s.dn[a]) continue;
            Snap storage x = snaps[roundSnap[defundRoundOf[a]]];
            uint256 disputedLocked;
            for (uint256 i; i < xfers.length; ++i) {
                if (xfers[i].asset != a) continue;
                s.activeMask &= ~(uint256(1) << i);
                if ((x.activeMask >> i) & 1 == 0) continue;
                if (xfers[i].disputed) disputedLocked += xfers[i].amount;
                else s.activeMask |= uint256(1) << i;
            }
            s.takenOut[a] = x.takenOut[a] + x.bal[a][ALICE] + x.bal[a][BOB] + disputedLocked
                + (depositsAtDefund[a][ALICE] - x.procA[a]) + (depositsAtDefund[a][BOB] - x.procB[a]);
            s.withdrawn[a] = x.withdrawn[a];
            s.bal[a] = [uint256(0), 0];
            s.procA[a] = depositsAtDefund[a][ALICE];
            s.procB[a] = depositsAtDefund[a][BOB];
            s.dn[a] += 1;
        }
    }

    /// @dev Signs `s` (built on `_next`) as the new latest state.
    function _push(Snap memory s) internal {
        Snap storage latest = snaps[snaps.length - 1];
        if (s.dn[0] != latest.dn[0] || s.dn[1] != latest.dn[1]) _hit("resume");
        snaps.push(s);
    }

    /// @dev A dispute round runs until its defund window is over; no update meanwhile.
    function _disputeRunning() internal view returns (bool) {
        return disputed && block.timestamp < defundExpiry;
    }

    /// @dev The defund nonce state `k` carries for asset `a`; the unlisted asset defunds at 1.
    function _dnOf(uint256 k, uint256 a) internal view returns (uint256) {
        return a < STATE_ASSETS ? snaps[k].dn[a] : 1;
    }

    /// @dev The state property (2) holds this round's payouts to: the latest, unless the
    /// watcher slept through the round and the state on record won it.
    function _entitlementSource() internal view returns (uint256) {
        return roundNapped[round] ? recordedSnap : roundLatest[round];
    }

    function _leaves(uint256 mask) internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](_popcount(mask));
        uint256 j;
        for (uint256 i; j < leaves.length; ++i) {
            if ((mask >> i) & 1 == 1) leaves[j++] = xfers[i].leaf;
        }
    }

    function _position(uint256 mask, uint256 i) internal pure returns (uint256) {
        return _popcount(mask & ((uint256(1) << i) - 1));
    }

    function _pick(uint256 mask, uint256 seed) internal pure returns (uint256 i) {
        uint256 skip = seed % _popcount(mask);
        for (;; ++i) {
            if ((mask >> i) & 1 == 1) {
                if (skip == 0) return i;
                --skip;
            }
        }
    }

    function _popcount(uint256 m) internal pure returns (uint256 n) {
        for (; m != 0; m &= m - 1) {
            ++n;
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        uint256 r = seed % 3;
        return r == 2 ? keeper : parties[r];
    }

    /// @dev The earliest window end after now: consensus, defund, or a disputed transfer's.
    function _nextDeadline() internal view returns (uint256 next) {
        next = type(uint256).max;
        if (disputed) {
            if (consensusExpiry > block.timestamp) next = consensusExpiry;
            else if (defundExpiry > block.timestamp) next = defundExpiry;
        }
        for (uint256 i; i < xfers.length; ++i) {
            uint256 e = xfers[i].disputeExpiry;
            if (xfers[i].disputed && !xfers[i].defunded && e > block.timestamp && e < next) next = e;
        }
        if (next == type(uint256).max) next = 0;
    }

    function _inDefundPhase() internal view returns (bool) {
        return disputed && consensusExpiry <= block.timestamp && block.timestamp < defundExpiry;
    }

    function _stateBalance(Snap storage s, uint256 a, uint256 p) internal view returns (uint256) {
        return a < STATE_ASSETS ? s.bal[a][p] : 0;
    }

    function _processed(Snap storage s, uint256 a, uint256 p) internal view returns (uint256) {
        if (a >= STATE_ASSETS) return 0;
        return p == ALICE ? s.procA[a] : s.procB[a];
    }

    function _balanceOf(uint256 a, address who) internal view returns (uint256) {
        return a == 0 ? who.balance : TestToken(assets[a]).balanceOf(who);
    }

    function _unprocessed(uint256 total, uint256 processed) internal pure returns (uint256) {
        return total > processed ? total - processed : 0;
    }

    function _outcome(string memory what, bool expected, bool ok, bytes memory err) internal {
        if (ok == expected) return;
        _mismatch(
            ok
                ? string.concat(what, ": succeeded, the model expected a revert")
                : string.concat(what, ": reverted (", vm.toString(err), "), the model expected success")
        );
    }

    function _mismatch(string memory why) internal {
        ++mismatches;
        if (bytes(firstMismatch).length == 0) firstMismatch = why;
    }

    function _hit(string memory name) internal {
        if (!_hitsOn) return;
        bytes32 key = keccak256(bytes(name));
        if (_hits[key] == 0) _hitNames.push(name);
        ++_hits[key];
    }
}
