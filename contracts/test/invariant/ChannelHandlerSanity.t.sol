// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {stdStorage, StdStorage, Test} from "forge-std/Test.sol";
import {ChannelHandler} from "./ChannelHandler.sol";

/// @title ChannelHandlerSanityTest
/// @notice Shows that the invariant suite is not vacuous: a fixed sequence of handler calls
/// reaches every phase (deposits, updates, stale disputes, the watcher's answer, defunds,
/// transfer disputes, exits, replays) with hand-computed books; random sequences reach them
/// too; and each property's check fails when the channel's accounting is broken on purpose.
contract ChannelHandlerSanityTest is Test {
    using stdStorage for StdStorage;

    uint256 internal constant ETH_ = 0;
    uint256 internal constant TOKEN_ = 1;
    uint256 internal constant UNLISTED_ = 2; // a token deposited but in no state
    uint256 internal constant ALICE_ = 0;
    uint256 internal constant BOB_ = 1;

    ChannelHandler internal handler;

    function setUp() public {
        handler = new ChannelHandler();
        handler.setDisputeGate(false);
    }

    /// @dev The handler starts at nonce 3 with ETH 10 (alice) / 5 (bob) and tokens 1000 / 2000.
    function test_fixedSequence_reachesEveryPhase_withHandComputedBooks() public {
        handler.aliceDeposits(ETH_, 4 ether, true); // reconciled: ETH 14 / 5
        handler.bobDeposits(TOKEN_, 300 ether, false); // never reconciled: unprocessed at defund
        handler.aliceDeposits(UNLISTED_, 7 ether, true); // no state lists this asset
        handler.bobDeposits(UNLISTED_, 3 ether, false);
        handler.pay(ALICE_, ETH_, 3 ether); // ETH 11 / 8
        handler.createHashlock(BOB_, TOKEN_, 100 ether, 1); // transfer 0: bob -> alice, alice knows
        handler.createHashlock(ALICE_, ETH_, 1 ether, 0); // transfer 1: alice -> bob, bob does not know
        handler.createHashlock(ALICE_, TOKEN_, 10 ether, 1); // transfer 2: alice -> bob
        handler.resolveTransfer(2, 0); // bob claims transfer 2 off-chain: tokens 990 / 1910
        handler.withdrawOffchain(BOB_, ETH_, 2 ether, true); // commitment 0; ETH 10 / 6, paid now
        handler.executeWithdrawal(0, 0); // replay: must revert
        handler.withdrawOffchain(ALICE_, TOKEN_, 50 ether, false); // commitment 1; tokens 940 / 1910
        // transfer 3: alice withdraws 2 ETH through a Withdraw transfer, fee 0.1 (commitment 2);
        // bob hands over his signature, alice cashes the commitment, no resolve update yet.
        handler.createWithdrawTransfer(ALICE_, ETH_, 2 ether, 0.1 ether); // ETH 8 / 6
        handler.resolveTransfer(2, 258); // mode 0: release only; bit 8: execute now
        // transfer 4: bob's Withdraw of 10 tokens (commitment 3), which alice never signs.
        handler.createWithdrawTransfer(BOB_, TOKEN_, 10 ether, 0); // tokens 940 / 1900
        handler.executeWithdrawal(3, 1); // bob alone: must revert
        handler.pay(BOB_, ETH_, 1 ether); // latest: ETH 9 / 5 (+3 locked), tokens 940 / 1900 (+110)
        assertEq(handler.stateCount(), 14, "states");
        assertEq(handler.hits("withdrawSignatureReleased"), 1, "withdraw signature released");
        assertEq(handler.hits("unsignedWithdrawRejected"), 1, "half-signed commitment refused");
        handler.checkConservation();

        // bob, the adversary, disputes the state in which he held 8 ETH; alice tries an even
        // older one, which must be refused.
        handler.disputeChannel(BOB_, 4, false);
        handler.disputeChannel(ALICE_, 2, false);
        assertEq(handler.hits("staleDisputeAccepted"), 1, "stale dispute recorded");
        assertEq(handler.hits("staleDisputeRejected"), 1, "older stale dispute refused");
        handler.pay(ALICE_, ETH_, 1 ether); // the channel is closing: no more updates
        assertEq(handler.stateCount(), 14, "no update after a dispute");

        handler.warp(0); // alice's watcher answers with the latest state; on to the defund window
        assertEq(handler.hits("watcherAnswered"), 1, "watcher answered");
        handler.checkLatestStateWins();

        handler.defundChannel(0, 9, 6, true); // the stale state: refused
        handler.defundChannel(0, 2, 1, false); // an index past the end for ETH: refused
        handler.defundChannel(2, 9, 1, false); // the keeper defunds ETH and the token
        assertEq(handler.hits("staleDefundRejected"), 1, "stale defund refused");
        assertEq(handler.hits("skippedBalanceRejected"), 1, "skipped balance refused");
        assertEq(handler.hits("defundChannel"), 1, "defunded");
        assertEq(handler.ghostOwed(ETH_, ALICE_), 9 ether, "alice's ETH from the latest state");
        assertEq(handler.ghostOwed(ETH_, BOB_), 5 ether, "bob's ETH from the latest state");
        assertEq(handler.ghostOwed(TOKEN_, ALICE_), 940 ether, "alice's tokens");
        assertEq(handler.ghostOwed(TOKEN_, BOB_), 2200 ether, "bob's tokens + his unprocessed deposit");
        handler.defundChannel(0, 3, 1, false); // the unlisted asset at index 0 (ETH's): refused
        handler.defundChannel(1, 10, 1, false); // the unlisted asset, past the end: deposits back
        assertEq(handler.hits("skippedBalanceRejected"), 2, "wrong indices refused");
        assertEq(handler.hits("defundChannel"), 2, "unlisted asset defunded");
        assertEq(handler.ghostOwed(UNLISTED_, ALICE_), 7 ether, "alice's unlisted deposit");
        assertEq(handler.ghostOwed(UNLISTED_, BOB_), 3 ether, "bob's unlisted deposit");

        handler.bobDeposits(ETH_, 1 ether, false); // after the defund: stuck
        handler.disputeTransfer(0, 2, true); // transfer 2 was resolved: not in the root
        handler.disputeTransfer(1, 0, false); // transfer 0
        handler.disputeTransfer(1, 1, false); // transfer 1
        handler.disputeTransfer(1, 2, false); // transfer 3
        assertEq(handler.hits("foreignTransferRejected"), 1, "resolved transfer refused");
        assertEq(handler.hits("disputeTransfer"), 3, "transfers disputed");
        handler.defundTransfer(BOB_, 0, false); // the initiator, before the timeout, unsigned: refused
        handler.defundTransfer(BOB_, 0, true); // the initiator with alice's signed resolver
        assertEq(handler.hits("defundTransferResolved"), 1, "transfer 0 resolved for alice");
        handler.warp(0); // bob's watcher resolves transfer 3 first; then to the timeout
        assertEq(handler.hits("defundTransferResolved"), 2, "bob claimed his withdrawal fee");
        handler.defundTransfer(ALICE_, 1, false); // timed out: back to alice
        assertEq(handler.hits("defundTransferAfterTimeout"), 1, "transfer 1 back to alice");
        assertEq(handler.ghostOwed(ETH_, ALICE_), 10 ether, "alice's ETH + transfer 1");
        assertEq(handler.ghostOwed(ETH_, BOB_), 5.1 ether, "bob's ETH + the withdrawal fee");
        assertEq(handler.ghostOwed(TOKEN_, ALICE_), 1040 ether, "alice's tokens + transfer 0");

        handler.exit(0, ALICE_, ETH_, 0); // alice exits her ETH
        handler.exit(2, BOB_, TOKEN_, 2); // the keeper tries to take bob's tokens: refused
        handler.exit(2, BOB_, TOKEN_, 0); // the keeper sends bob his tokens
        handler.exit(1, BOB_, UNLISTED_, 0); // bob takes his unlisted deposit back
        handler.executeWithdrawal(1, 2); // alice's pending commitment
        assertEq(handler.hits("exit"), 3, "exits");
        assertEq(handler.hits("unauthorizedExitRejected"), 1, "unauthorized exit refused");
        assertEq(handler.hits("replayRejected"), 1, "replay refused");
        assertEq(handler.hits("withdrawExecuted"), 3, "withdrawals paid");
        assertEq(handler.ghostExited(ETH_, ALICE_), 10 ether, "alice exited her ETH");
        assertEq(handler.ghostExited(TOKEN_, BOB_), 2200 ether, "bob exited his tokens");

        _checkAll();
        assertEq(handler.ghostStuck(ETH_, BOB_), 1 ether, "bob's late deposit: no state credits it yet");
        // The round is over with transfer 4 never disputed: the channel resumes (bob's late
        // deposit unprocessed, transfer 4 still locked, both assets at defund nonce 2) and a
        // last round pays it all out; transfer 4 goes back to bob after its timeout.
        handler.settle();
        _checkAll();
        handler.checkSettled();
        assertEq(handler.round(), 3, "bob's stale state, the watcher's answer, the last round");
        assertEq(handler.latestDefundNonce(ETH_), 2, "resumed");
        assertEq(handler.ghostExited(TOKEN_, BOB_), 2210 ether, "bob got his unsigned withdrawal back");
        assertEq(handler.ghostExited(ETH_, BOB_), 6.1 ether, "bob got his late deposit too");
        assertEq(handler.ghostStuck(ETH_, BOB_), 0, "nothing stuck");
        assertEq(handler.channelAddress().balance, 0, "the channel is empty");
    }

    /// @dev Two rounds with the channel resumed in between. Round 1 pays ETH out and one ETH
    /// transfer; the token transfer cannot be disputed (the token is not paid out). The next
    /// update resumes ETH only; bob records the round-1 state again and alice's watcher answers
    /// with the resumed one, which pays the rest in round 2.
    function test_twoRounds_resumeBetween_withHandComputedBooks() public {
        handler.pay(ALICE_, ETH_, 2 ether); // ETH 8 / 7
        handler.createHashlock(ALICE_, ETH_, 1 ether, 1); // transfer 0: alice -> bob, bob knows
        handler.createHashlock(BOB_, TOKEN_, 100 ether, 0); // transfer 1: bob -> alice, alice does not
        // latest (state 5): ETH 7 / 7 (+1 locked), tokens 1000 / 1900 (+100 locked)

        handler.disputeChannel(BOB_, 0, true); // round 1: the latest state
        handler.warp(0); // into the defund window
        handler.defundChannel(2, 7, 0, false); // the keeper defunds ETH only
        assertEq(handler.defundRoundOf(ETH_), 1, "ETH paid out in round 1");
        handler.disputeTransfer(1, 1, false); // transfer 1: the token was not paid out, refused
        assertEq(handler.hits("unpaidAssetTransferRejected"), 1, "token transfer refused");
        handler.disputeTransfer(0, 0, false); // transfer 0
        handler.warp(0); // bob's watcher claims it; then to the end of the round
        assertEq(handler.ghostOwed(ETH_, ALICE_), 7 ether, "alice's ETH, round 1");
        assertEq(handler.ghostOwed(ETH_, BOB_), 8 ether, "bob's ETH and transfer 0, round 1");

        // The next update resumes: ETH at defund nonce 2 with nothing left in it; the token,
        // never paid out, carried with transfer 1 at defund nonce 1.
        handler.pay(BOB_, TOKEN_, 100 ether); // tokens 1100 / 1800 (+100 locked)
        assertEq(handler.hits("resume"), 1, "resumed");
        assertEq(handler.latestDefundNonce(ETH_), 2, "ETH: next defund nonce");
        assertEq(handler.latestDefundNonce(TOKEN_), 1, "token: carried");
        assertEq(handler.latestBalance(ETH_, ALICE_) + handler.latestBalance(ETH_, BOB_), 0, "ETH taken out");
        handler.checkConservation();
        handler.aliceDeposits(ETH_, 3 ether, true); // reconciled: ETH 3 / 0

        handler.disputeChannel(BOB_, 13, false); // state 5, round 1's, recorded again
        assertEq(handler.hits("sameStateAgain"), 1, "the same state again");
        assertEq(handler.round(), 1, "keeps its round");
        handler.warp(0); // alice's watcher answers with the latest: round 2
        assertEq(handler.round(), 2, "the resumed state's round");
        assertEq(handler.hits("watcherAnswered"), 1, "watcher answered");
        handler.defundChannel(2, 9, 0, false); // ETH at defund nonce 2 and the token at 1
        assertEq(handler.hits("resumedStateDefunded"), 1, "the resumed state paid out");
        handler.disputeTransfer(0, 0, false); // transfer 1 now
        handler.warp(0); // to its timeout: back to bob
        handler.defundTransfer(ALICE_, 1, false);
        assertEq(handler.ghostOwed(ETH_, ALICE_), 10 ether, "alice's ETH over both rounds");
        assertEq(handler.ghostOwed(ETH_, BOB_), 8 ether, "bob's ETH over both rounds");
        assertEq(handler.ghostOwed(TOKEN_, ALICE_), 1100 ether, "alice's tokens");
        assertEq(handler.ghostOwed(TOKEN_, BOB_), 1900 ether, "bob's tokens and transfer 1");

        _checkAll();
        handler.settle();
        _checkAll();
        handler.checkSettled();
        assertEq(handler.ghostExited(ETH_, ALICE_) + handler.ghostExited(ETH_, BOB_), 18 ether, "all ETH out");
        assertEq(handler.channelAddress().balance, 0, "the channel is empty");
    }

    /// @dev `nextRound` in one call: an honest party pays out what round 1 can, the round ends,
    /// the parties resume and the resumed state starts round 2.
    function test_nextRound_finishesResumesAndDisputesAgain() public {
        handler.createHashlock(ALICE_, ETH_, 1 ether, 1); // transfer 0: ETH 9 / 5 (+1 locked)
        handler.disputeChannel(BOB_, 0, true); // round 1: the latest state
        // Bit 8 of the caller seed: finish the round first. State seed: pick from the recorded
        // state on (mode 2 in bits 64+), here the resumed one (bits 8+).
        handler.nextRound(1 | (1 << 8), (2 << 64) | (1 << 8), true);
        assertEq(handler.hits("defundChannel"), 1, "round 1 paid out every asset");
        assertEq(handler.hits("disputeTransfer"), 1, "and transfer 0");
        assertEq(handler.hits("defundTransferResolved"), 1, "which bob claimed");
        assertEq(handler.hits("resume"), 1, "resumed");
        assertEq(handler.hits("laterDisputeStarted"), 1, "round 2 started");
        assertEq(handler.round(), 2);
        assertEq(handler.recordedSnap(), handler.stateCount() - 1, "with the resumed state");
        assertEq(handler.latestDefundNonce(ETH_), 2);
        assertEq(handler.latestDefundNonce(TOKEN_), 2);
        assertEq(handler.ghostOwed(ETH_, ALICE_), 9 ether);
        assertEq(handler.ghostOwed(ETH_, BOB_), 6 ether);
        _checkAll();
        handler.settle();
        _checkAll();
        handler.checkSettled();
    }

    /// @dev The attack of issue 9 in the handler: bob records a state in which transfer 0 is
    /// still locked while alice's watcher sleeps, and it wins round 1; the transfer is paid
    /// there. Round 2 with a state signed before round 1, in which bob already holds the
    /// transfer, and round 3 with the latest, pay nothing twice.
    function test_staleStateWinsRound_olderStatesPayNothingTwice() public {
        _staleRoundOne();
        handler.defundChannel(1, 7, 0, false); // bob defunds ETH: alice 8, bob 5
        handler.disputeTransfer(1, 0, false); // transfer 0 now
        handler.warp(0); // bob's watcher claims it; then to the end of the round
        assertEq(handler.ghostOwed(ETH_, BOB_), 7 ether, "bob's ETH and transfer 0");

        handler.disputeChannel(BOB_, 4, false); // round 2: state 4, bob holds transfer 0 in it
        assertEq(handler.hits("olderStateInLaterDispute"), 1, "a state signed before round 1");
        handler.warp(0); // alice's watcher answers with the latest: round 3
        assertEq(handler.round(), 3, "rounds");
        handler.defundChannel(0, 7, 0, false); // ETH again: refused
        assertEq(handler.hits("repeatDefundRejected"), 1, "ETH paid out once");
        handler.defundChannel(0, 8, 0, false); // the token, by the latest state
        assertEq(handler.ghostOwed(ETH_, ALICE_), 8 ether, "alice's ETH: as the state that won round 1");
        assertEq(handler.ghostOwed(ETH_, BOB_), 7 ether, "bob's ETH: not 9");
        assertEq(handler.ghostOwed(TOKEN_, ALICE_), 1000 ether, "alice's tokens");

        _checkAll();
        handler.settle();
        _checkAll();
        handler.checkSettled();
        assertEq(handler.ghostExited(ETH_, ALICE_), 8 ether);
        assertEq(handler.ghostExited(ETH_, BOB_), 7 ether);
    }

    /// @dev States 3 to 5 after the opening ones: alice locks 2 ETH for bob in transfer 0
    /// (ETH 8 / 5), bob claims it off-chain (8 / 7), alice pays him 1 (7 / 8). Bob disputes
    /// state 3, alice's watcher sleeps through the consensus window, and state 3 wins round 1;
    /// its transfer cannot be disputed before ETH is paid out.
    function _staleRoundOne() internal {
        handler.createHashlock(ALICE_, ETH_, 2 ether, 1);
        handler.resolveTransfer(0, 1);
        handler.pay(ALICE_, ETH_, 1 ether);
        assertEq(handler.stateCount(), 6, "states");
        handler.disputeChannel(BOB_, 3, false);
        handler.watcherNaps();
        assertEq(handler.hits("watcherNapped"), 1, "alice's watcher asleep");
        handler.warp(0); // nobody answers: into the defund window with state 3
        assertEq(handler.recordedSnap(), 3, "the stale state won");
        handler.checkLatestStateWins(); // as allowed for a round the watcher slept through
        handler.disputeTransfer(1, 0, false); // ETH not paid out yet: refused
        assertEq(handler.hits("unpaidAssetTransferRejected"), 1, "transfer before its asset refused");
    }

    /// (1) Without the round check (the transfer's asset recorded as defunded in this round when
    /// it was not), the transfer paid in round 1 is paid again by the newer state's balances.
    function test_catches_transferPaidTwiceAcrossRounds() public {
        _staleRoundOne();
        stdstore.enable_packed_slots().target(handler.channelAddress()).sig("getDefundRound(address)")
            .with_key(address(0)).checked_write(uint256(1));
        handler.disputeTransfer(1, 0, false); // accepted now
        handler.warp(0); // bob's watcher claims transfer 0: 2 ETH; then to the end of the round
        handler.disputeChannel(BOB_, 4, false); // round 2: state 4, bob holds transfer 0 in it
        handler.warp(0); // alice's watcher answers with the latest (ETH 7 / 8): round 3
        handler.defundChannel(0, 7, 0, false); // pays ETH: alice 7, bob 8 + 2
        _assertViolated(handler.checkSolvency, "(1) exitable + signed withdrawals exceed the holdings");
        _assertViolated(handler.checkChannelMatchesModel, "disputeTransfer: succeeded, the model expected a revert");
    }

    /// @dev Pseudo-random sequences of the fuzzer's actions also reach every phase in-run,
    /// later dispute rounds included.
    function test_randomSequences_reachEveryPhase() public {
        string[21] memory phases = [
            "staleDisputeAccepted",
            "staleDisputeRejected",
            "watcherAnswered",
            "defundChannel",
            "disputeTransfer",
            "defundTransferResolved",
            "exit",
            "withdrawExecuted",
            "replayRejected",
            "unauthorizedExitRejected",
            "withdrawSignatureReleased",
            "withdrawTransferResolved",
            "unsignedWithdrawRejected",
            "unpaidAssetTransferRejected",
            "repeatDefundRejected",
            "resume",
            "laterDisputeStarted",
            "sameStateAgain",
            "watcherNapped",
            "resumedStateDefunded",
            "defundTransferAfterTimeout"
        ];
        uint256[21] memory reached;
        uint256 seed = 0x5eed;
        vm.pauseGasMetering(); // 64 channels and their runs: more than one block's gas
        for (uint256 run; run < 64; ++run) {
            ChannelHandler h = new ChannelHandler();
            for (uint256 step; step < 50; ++step) {
                seed = uint256(keccak256(abi.encode(seed)));
                _randomAction(h, seed);
            }
            for (uint256 i; i < phases.length; ++i) {
                reached[i] += h.hits(phases[i]);
            }
            h.settle();
            h.checkChannelMatchesModel();
            h.checkSettled();
        }
        for (uint256 i; i < phases.length; ++i) {
            assertGt(reached[i], 0, string.concat("never reached: ", phases[i]));
        }
    }

    // ------------------------------------------------------------ the checks catch breakage

    /// (1) A channel that lost one wei of its holdings is caught.
    function test_catches_channelHoldingsOffByOne() public {
        handler.aliceDeposits(ETH_, 1 ether, true);
        handler.checkSolvency();
        address ch = handler.channelAddress();
        vm.deal(ch, ch.balance - 1);
        _assertViolated(handler.checkSolvency, "(1) channel holdings != deposited - paid out");
    }

    /// (3) A commitment whose executed flag is lost gets paid twice, and that is caught.
    function test_catches_doublePaidWithdrawal() public {
        handler.withdrawOffchain(BOB_, ETH_, 2 ether, true);
        handler.checkWithdrawalsPaidOnce();
        bytes32 digest = handler.commitmentDigest(0);
        stdstore.target(handler.channelAddress()).sig("isWithdrawalExecuted(bytes32)").with_key(digest)
            .checked_write(false);
        handler.executeWithdrawal(0, 0); // the replay now pays
        _assertViolated(handler.checkWithdrawalsPaidOnce, "(3) a withdrawal commitment paid out twice");
        _assertViolated(handler.checkChannelMatchesModel, "withdraw replay: succeeded");
    }

    /// (2) Without the watcher, alice's stale state wins and bob recovers less than the latest
    /// state owes him: caught, although the channel did exactly what the recorded state says.
    function test_catches_staleStateWinning() public {
        handler.setWatcher(false);
        handler.pay(ALICE_, ETH_, 3 ether); // latest: ETH 7 / 8
        handler.disputeChannel(ALICE_, 2, false); // alice disputes nonce 3 (ETH 10 / 5)
        handler.warp(0); // to the defund window, unanswered
        handler.defundChannel(ALICE_, 9, 0, false);
        assertEq(handler.hits("defundChannel"), 1, "defunded");
        handler.checkChannelMatchesModel();
        handler.checkExitableMatchesModel();
        _assertViolated(handler.checkLatestStateWins, "(2) a stale state outlived the consensus window");
        _assertViolated(handler.checkLatestStateRecovered, "(2) bob recovered less than the latest state owes him");
    }

    /// Exact books: an exitable amount credited beyond what the defund owes is caught, and so
    /// is the exit that pays it.
    function test_catches_overcreditedExitable() public {
        handler.disputeChannel(ALICE_, 0, true);
        handler.warp(0);
        handler.defundChannel(ALICE_, 9, 0, false);
        handler.checkExitableMatchesModel();
        stdstore.target(handler.channelAddress()).sig("getExitableAmount(address,address)").with_key(address(0))
            .with_key(_alice()).checked_write(uint256(10 ether + 1));
        _assertViolated(handler.checkExitableMatchesModel, "exitable + exited != what the model's defunds owe");
        handler.exit(0, ALICE_, ETH_, 0);
        _assertViolated(handler.checkChannelMatchesModel, "exit paid a different amount than the model owed");
    }

    // ------------------------------------------------------------ helpers

    function _checkAll() internal view {
        handler.checkChannelMatchesModel();
        handler.checkSolvency();
        handler.checkLatestStateRecovered();
        handler.checkLatestStateWins();
        handler.checkWithdrawalsPaidOnce();
        handler.checkExitableMatchesModel();
        handler.checkConservation();
    }

    function _alice() internal returns (address) {
        return makeAddr("alice");
    }

    function _assertViolated(function() external view check, string memory expected) internal view {
        try check() {
            revert(string.concat("check passed, expected a violation: ", expected));
        } catch (bytes memory err) {
            // A failed vm.assert* reverts with CheatcodeError(string); require with Error(string).
            bytes memory payload = new bytes(err.length - 4);
            for (uint256 i; i < payload.length; ++i) {
                payload[i] = err[i + 4];
            }
            string memory reason = abi.decode(payload, (string));
            assertTrue(vm.indexOf(reason, expected) != type(uint256).max, reason);
        }
    }

    /// @dev One of the actions the invariant fuzzer targets, with random arguments.
    function _randomAction(ChannelHandler h, uint256 r) internal {
        uint256 x = uint256(keccak256(abi.encode(r, 1)));
        uint256 y = uint256(keccak256(abi.encode(r, 2)));
        uint256 z = uint256(keccak256(abi.encode(r, 3)));
        bool b = (r >> 8) & 1 == 1;
        uint256 action = r % 25;
        if (action == 0) h.aliceDeposits(x, y, b);
        else if (action == 1) h.bobDeposits(x, y, b);
        else if (action == 2) h.reconcileDeposits(x);
        else if (action <= 4) h.pay(x, y, z);
        else if (action == 5) h.createHashlock(x, y, z, r >> 16);
        else if (action == 6) h.resolveTransfer(x, y);
        else if (action == 7) h.withdrawOffchain(x, y, z, b);
        else if (action == 8) h.executeWithdrawal(x, y);
        else if (action <= 10) h.disputeChannel(x, y, b);
        else if (action <= 12) h.warp(x);
        else if (action <= 14) h.defundChannel(x, y, z, b);
        else if (action <= 16) h.disputeTransfer(x, y, b);
        else if (action <= 18) h.defundTransfer(x, y, b);
        else if (action <= 20) h.exit(x, y, z, r >> 16);
        else if (action == 21) h.createWithdrawTransfer(x, y, z, r >> 16);
        else if (action == 22) h.watcherNaps();
        else if (action == 23) h.warp(x);
        else h.nextRound(x, y, b);
    }
}
