// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ChannelTestBase} from "./ChannelTestBase.sol";
import {ReentrancyAttacker, ReentrantRecipient} from "./mocks/Recipients.sol";
import {ReentrantToken} from "./mocks/ReentrantToken.sol";
import {ICMCAsset} from "../../src/interfaces/ICMCAsset.sol";
import {ICMCDeposit} from "../../src/interfaces/ICMCDeposit.sol";
import {ICMCWithdraw} from "../../src/interfaces/ICMCWithdraw.sol";
import {IChannelFactory} from "../../src/interfaces/IChannelFactory.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {WithdrawData} from "../../src/interfaces/Types.sol";

/// @notice A payment out of the channel hands control to the recipient (ETH) or the token; any
/// call back into withdraw/exit/deposit must hit the guard, and nothing is paid twice. The guard
/// is OpenZeppelin's transient one (EIP-1153): each channel clone and the factory hold their own
/// flag, and no storage slot is ever written for it.
contract ReentrancyTest is ChannelTestBase {
    /// @dev The slot OpenZeppelin's guards use: keccak256(abi.encode(uint256(keccak256(
    /// "openzeppelin.storage.ReentrancyGuard")) - 1)) & ~bytes32(uint256(0xff)).
    bytes32 internal constant GUARD_SLOT = 0x9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00;

    ReentrantRecipient internal attacker;
    ReentrantToken internal evil;

    function setUp() public override {
        super.setUp();
        attacker = new ReentrantRecipient();
        evil = new ReentrantToken();
    }

    function withdrawCall(WithdrawData memory wd) internal view returns (bytes memory) {
        return abi.encodeCall(ICMCWithdraw.withdraw, (wd, signWithdraw(aliceKey, wd), signWithdraw(bobKey, wd)));
    }

    function exitCall(address assetId, address exitOwner) internal pure returns (bytes memory) {
        return abi.encodeCall(ICMCAsset.exit, (assetId, exitOwner, payable(exitOwner)));
    }

    function assertReentryBlocked(ReentrancyAttacker who) internal view {
        assertTrue(who.attempted(), "re-entry attempted");
        assertFalse(who.reentrySucceeded(), "re-entry failed");
        assertEq(
            who.reentryRevertData(),
            abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
    }

    // ---------------------------------------------------------------- ETH recipient re-enters

    function test_reentrancy_recipientReentersWithdrawWithSameCommitment() public {
        depositAlice(ETH, 5 ether);
        WithdrawData memory wd = withdrawData(ETH, address(attacker), 1 ether, 1);
        bytes memory call_ = withdrawCall(wd);
        attacker.arm(address(channel), call_, false);
        executeWithdraw(wd);
        assertReentryBlocked(attacker);
        assertEq(address(attacker).balance, 1 ether);
        assertEq(address(channel).balance, 4 ether);
        assertEq(channel.getTotalTransferred(ETH), 1 ether);
    }

    function test_reentrancy_recipientReentersWithdrawWithOtherCommitment() public {
        depositAlice(ETH, 5 ether);
        WithdrawData memory first = withdrawData(ETH, address(attacker), 1 ether, 1);
        WithdrawData memory second = withdrawData(ETH, address(attacker), 2 ether, 2);
        attacker.arm(address(channel), withdrawCall(second), false);
        executeWithdraw(first);
        assertReentryBlocked(attacker);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(second)));
        assertEq(address(attacker).balance, 1 ether);
        assertEq(address(channel).balance, 4 ether);
        // Outside a payment the second commitment is paid normally, once.
        executeWithdraw(second);
        assertEq(address(attacker).balance, 3 ether);
        assertEq(channel.getTotalTransferred(ETH), 3 ether);
    }

    function test_reentrancy_recipientBubblingFailureRevertsWithdraw() public {
        depositAlice(ETH, 5 ether);
        WithdrawData memory wd = withdrawData(ETH, address(attacker), 1 ether, 1);
        bytes memory sigA = signWithdraw(aliceKey, wd);
        bytes memory sigB = signWithdraw(bobKey, wd);
        attacker.arm(address(channel), withdrawCall(withdrawData(ETH, address(attacker), 1 ether, 2)), true);
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        channel.withdraw(wd, sigA, sigB);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(wd)));
        assertEq(address(attacker).balance, 0);
        assertEq(address(channel).balance, 5 ether);
        assertEq(channel.getTotalTransferred(ETH), 0);
    }

    function test_reentrancy_recipientReentersExitDuringWithdraw() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        depositAlice(ETH, 1 ether);
        attacker.arm(address(channel), exitCall(ETH, alice), false);
        executeWithdraw(withdrawData(ETH, address(attacker), 1 ether, 1));
        assertReentryBlocked(attacker);
        assertEq(address(attacker).balance, 1 ether);
        assertEq(alice.balance, 0);
        assertEq(channel.getExitableAmount(ETH, alice), 3 ether);
        assertEq(address(channel).balance, 5 ether);
    }

    function test_reentrancy_recipientReentersExitDuringExit() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        // Alone, a third party's exit of alice's balance to alice would succeed.
        attacker.arm(address(channel), exitCall(ETH, alice), false);
        vm.prank(bob);
        channel.exit(ETH, bob, payable(address(attacker)));
        assertReentryBlocked(attacker);
        assertEq(address(attacker).balance, 2 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 0);
        assertEq(channel.getExitableAmount(ETH, alice), 3 ether);
        assertEq(address(channel).balance, 3 ether);
        assertEq(channel.getTotalTransferred(ETH), 2 ether);
    }

    function test_reentrancy_recipientReentersSameExit() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        attacker.arm(address(channel), abi.encodeCall(ICMCAsset.exit, (ETH, bob, payable(bob))), true);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        channel.exit(ETH, bob, payable(address(attacker)));
        assertEq(channel.getExitableAmount(ETH, bob), 2 ether);
        assertEq(address(channel).balance, 5 ether);
    }

    function test_reentrancy_recipientReentersWithdrawDuringExit() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        attacker.arm(address(channel), withdrawCall(withdrawData(ETH, address(attacker), 3 ether, 1)), false);
        vm.prank(bob);
        channel.exit(ETH, bob, payable(address(attacker)));
        assertReentryBlocked(attacker);
        assertEq(address(attacker).balance, 2 ether);
        assertEq(address(channel).balance, 3 ether);
    }

    // ---------------------------------------------------------------- malicious token re-enters

    function test_reentrancy_tokenReentersWithdraw() public {
        depositAlice(address(evil), 10e18);
        address carol = makeAddr("carol");
        WithdrawData memory wd = withdrawData(address(evil), carol, 4e18, 1);
        evil.arm(address(channel), withdrawCall(wd), false);
        executeWithdraw(wd);
        assertReentryBlocked(evil);
        assertEq(evil.balanceOf(carol), 4e18);
        assertEq(evil.balanceOf(address(channel)), 6e18);
        assertEq(channel.getTotalTransferred(address(evil)), 4e18);
    }

    function test_reentrancy_tokenReentersWithdrawWithOtherCommitment() public {
        depositAlice(address(evil), 10e18);
        address carol = makeAddr("carol");
        WithdrawData memory second = withdrawData(address(evil), carol, 5e18, 2);
        evil.arm(address(channel), withdrawCall(second), false);
        executeWithdraw(withdrawData(address(evil), carol, 4e18, 1));
        assertReentryBlocked(evil);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(second)));
        assertEq(evil.balanceOf(carol), 4e18);
        assertEq(evil.balanceOf(address(channel)), 6e18);
    }

    function test_reentrancy_tokenBubblingFailureRevertsWithdraw() public {
        depositAlice(address(evil), 10e18);
        WithdrawData memory wd = withdrawData(address(evil), bob, 4e18, 1);
        bytes memory sigA = signWithdraw(aliceKey, wd);
        bytes memory sigB = signWithdraw(bobKey, wd);
        evil.arm(address(channel), withdrawCall(withdrawData(address(evil), bob, 4e18, 2)), true);
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        channel.withdraw(wd, sigA, sigB);
        assertFalse(channel.isWithdrawalExecuted(channel.withdrawDigest(wd)));
        assertEq(evil.balanceOf(address(channel)), 10e18);
        assertEq(evil.balanceOf(bob), 0);
    }

    function test_reentrancy_tokenReentersExit() public {
        fundAndDefund(address(evil), 3e18, 2e18);
        evil.arm(address(channel), exitCall(address(evil), alice), false);
        vm.prank(bob);
        channel.exit(address(evil), bob, payable(bob));
        assertReentryBlocked(evil);
        assertEq(evil.balanceOf(bob), 2e18);
        assertEq(evil.balanceOf(alice), 0);
        assertEq(channel.getExitableAmount(address(evil), alice), 3e18);
        assertEq(evil.balanceOf(address(channel)), 3e18);
        // Alice still exits her share, exactly once.
        evil.arm(address(0), "", false);
        channel.exit(address(evil), alice, payable(alice));
        assertEq(evil.balanceOf(alice), 3e18);
        assertEq(evil.balanceOf(address(channel)), 0);
        assertEq(channel.getTotalTransferred(address(evil)), 5e18);
    }

    function test_reentrancy_tokenReentersSameExit() public {
        fundAndDefund(address(evil), 3e18, 2e18);
        evil.arm(address(channel), exitCall(address(evil), bob), false);
        channel.exit(address(evil), bob, payable(bob));
        assertReentryBlocked(evil);
        assertEq(evil.balanceOf(bob), 2e18);
        assertEq(evil.balanceOf(address(channel)), 3e18);
    }

    function test_reentrancy_tokenReentersExitDuringWithdraw() public {
        fundAndDefund(address(evil), 3e18, 2e18);
        depositAlice(address(evil), 1e18);
        evil.arm(address(channel), exitCall(address(evil), bob), false);
        executeWithdraw(withdrawData(address(evil), alice, 1e18, 1));
        assertReentryBlocked(evil);
        assertEq(evil.balanceOf(alice), 1e18);
        assertEq(evil.balanceOf(bob), 0);
        assertEq(channel.getExitableAmount(address(evil), bob), 2e18);
    }

    function test_reentrancy_tokenReentersDepositAlice() public {
        evil.mint(alice, 10e18);
        vm.prank(alice);
        evil.approve(address(channel), 10e18);
        evil.arm(address(channel), abi.encodeCall(ICMCDeposit.depositAlice, (address(evil), 1)), false);
        vm.prank(alice);
        channel.depositAlice(address(evil), 5e18);
        assertReentryBlocked(evil);
        assertEq(channel.getTotalDepositsAlice(address(evil)), 5e18);
        assertEq(evil.balanceOf(address(channel)), 5e18);
    }

    // ---------------------------------------------------------------- the guard itself

    /// @dev One channel's guard does not lock another: the flag is the clone's own, not the
    /// mastercopy's, although both run the mastercopy's code.
    function test_reentrancy_guardIsPerChannel() public {
        IChannelMastercopy other = IChannelMastercopy(payable(factory.createChannel(alice, makeAddr("carol"))));
        depositAlice(ETH, 5 ether);
        attacker.arm(address(other), abi.encodeCall(ICMCDeposit.depositAlice, (ETH, 0)), false);
        executeWithdraw(withdrawData(ETH, address(attacker), 1 ether, 1));
        assertTrue(attacker.attempted(), "re-entry attempted");
        assertTrue(attacker.reentrySucceeded(), "the other channel is not locked");
        assertEq(address(attacker).balance, 1 ether);
    }

    /// @dev The guard is transient: released after each call, within one transaction too (a
    /// forge test is one), and never written to storage, in the channel or the factory.
    function test_reentrancy_guardLeavesNoStorage() public {
        depositAlice(ETH, 5 ether);
        executeWithdraw(withdrawData(ETH, bob, 1 ether, 1));
        executeWithdraw(withdrawData(ETH, bob, 1 ether, 2));
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        factory.createChannelAndDepositAlice{value: 1 ether}(alice, bob, ETH, 1 ether);
        assertEq(vm.load(address(channel), GUARD_SLOT), bytes32(0), "channel");
        assertEq(vm.load(address(factory), GUARD_SLOT), bytes32(0), "factory");
        assertEq(bob.balance, 2 ether);
        assertEq(channel.getTotalDepositsAlice(ETH), 6 ether);
    }

    /// @dev A token pulled by the factory calls the factory back: the factory's own guard.
    function test_reentrancy_tokenReentersFactory() public {
        address carol = makeAddr("carol");
        evil.mint(alice, 10e18);
        vm.prank(alice);
        evil.approve(address(factory), 10e18);
        evil.arm(
            address(factory),
            abi.encodeCall(IChannelFactory.createChannelAndDepositAlice, (alice, carol, address(evil), 1)),
            false
        );
        vm.prank(alice);
        address created = factory.createChannelAndDepositAlice(alice, carol, address(evil), 5e18);
        assertReentryBlocked(evil);
        assertEq(IChannelMastercopy(payable(created)).getTotalDepositsAlice(address(evil)), 5e18);
        assertEq(evil.balanceOf(created), 5e18);
        assertEq(evil.balanceOf(address(factory)), 0);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_reentrancy_withdrawPaysOnce(uint256 amount, uint256 reentryAmount, uint256 nonce) public {
        amount = bound(amount, 1, 5 ether);
        reentryAmount = bound(reentryAmount, 0, 10 ether - amount);
        depositAlice(ETH, 10 ether);
        WithdrawData memory wd = withdrawData(ETH, address(attacker), amount, nonce);
        WithdrawData memory again = withdrawData(ETH, address(attacker), reentryAmount, nonce ^ 1);
        attacker.arm(address(channel), withdrawCall(again), false);
        executeWithdraw(wd);
        assertReentryBlocked(attacker);
        assertEq(address(attacker).balance, amount);
        assertEq(address(channel).balance, 10 ether - amount);
        assertEq(channel.getTotalTransferred(ETH), amount);
    }
}
