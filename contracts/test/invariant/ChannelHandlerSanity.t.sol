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

    /// @dev Pseudo-random sequences of the fuzzer's actions also reach every phase in-run,
    /// later dispute rounds included.
    function test_randomSequences_reachEveryPhase() public {
        string[22] memory phases = [
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
            "olderStateInLaterDispute",
            "watcherNapped",
            "resumedStateDefunded",
            "defundTransferAfterTimeout"
        ];
        uint256[22] memory reached;
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
        uint256 action = r % 24;
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
        else h.warp(x);
    }
}
