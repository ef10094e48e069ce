// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelTestBase} from "./ChannelTestBase.sol";
import {NoReturnToken} from "./mocks/NoReturnToken.sol";
import {RevertingRecipient} from "./mocks/Recipients.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {ICMCAsset} from "../../src/interfaces/ICMCAsset.sol";
import {CoreChannelState} from "../../src/interfaces/Types.sol";

/// @notice Exits: paying out what a defund made exitable.
contract CMCAssetTest is ChannelTestBase {
    address internal carol = makeAddr("carol");

    // ---------------------------------------------------------------- getters

    function test_getters_zeroBeforeAnything() public view {
        assertEq(channel.getExitableAmount(ETH, alice), 0);
        assertEq(channel.getExitableAmount(address(token), bob), 0);
        assertEq(channel.getTotalTransferred(ETH), 0);
    }

    function test_defund_makesBalancesExitable() public {
        depositAlice(ETH, 3 ether);
        depositBob(ETH, 2 ether);
        CoreChannelState memory ccs = singleAssetState(ETH, 1 ether, 4 ether, 1);
        disputeAndEnterDefund(ccs);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAsset.Exitable(ETH, alice, 1 ether);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAsset.Exitable(ETH, bob, 4 ether);
        defundChannel(ccs);
        assertEq(channel.getExitableAmount(ETH, alice), 1 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 4 ether);
    }

    function defundChannel(CoreChannelState memory ccs) internal {
        address[] memory assets = new address[](1);
        assets[0] = ccs.assetIds[0];
        channel.defundChannel(ccs, assets, new uint256[](1));
    }

    // ---------------------------------------------------------------- exit

    function test_exit_ownerToSelf() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.expectEmit(true, true, false, true, address(channel));
        emit ICMCAsset.Exited(ETH, bob, bob, 2 ether);
        vm.prank(bob);
        channel.exit(ETH, bob, payable(bob));
        assertEq(bob.balance, 2 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 0);
        assertEq(channel.getExitableAmount(ETH, alice), 3 ether);
        assertEq(channel.getTotalTransferred(ETH), 2 ether);
        assertEq(address(channel).balance, 3 ether);
    }

    function test_exit_ownerToAnyRecipient() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.prank(alice);
        channel.exit(ETH, alice, payable(carol));
        assertEq(carol.balance, 3 ether);
        assertEq(alice.balance, 0);
        assertEq(channel.getExitableAmount(ETH, alice), 0);
    }

    function test_exit_thirdPartyToOwner() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.prank(carol);
        channel.exit(ETH, bob, payable(bob));
        assertEq(bob.balance, 2 ether);
        assertEq(carol.balance, 0);
    }

    function test_exit_revertsWhenThirdPartyExitsElsewhere() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.UnauthorizedExit.selector, carol, bob));
        channel.exit(ETH, bob, payable(carol));
        assertEq(channel.getExitableAmount(ETH, bob), 2 ether);
    }

    /// @dev Even the other party may not redirect someone else's exit.
    function test_exit_revertsWhenCounterpartyRedirects() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.UnauthorizedExit.selector, alice, bob));
        channel.exit(ETH, bob, payable(alice));
    }

    function test_exit_revertsWhenNothingToExit() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.NothingToExit.selector, ETH, bob));
        channel.exit(ETH, bob, payable(bob));
    }

    function test_exit_revertsForOutsiderWithNothingExitable() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.NothingToExit.selector, ETH, carol));
        channel.exit(ETH, carol, payable(carol));
    }

    function test_exit_revertsWhenExitedTwice() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        vm.startPrank(bob);
        channel.exit(ETH, bob, payable(bob));
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.NothingToExit.selector, ETH, bob));
        channel.exit(ETH, bob, payable(bob));
        vm.stopPrank();
        assertEq(bob.balance, 2 ether);
    }

    function test_exit_revertsForZeroBalanceSide() public {
        fundAndDefund(ETH, 5 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.NothingToExit.selector, ETH, bob));
        channel.exit(ETH, bob, payable(bob));
    }

    function test_exit_tokens() public {
        fundAndDefund(address(token), 30e18, 20e18);
        vm.prank(alice);
        channel.exit(address(token), alice, payable(carol));
        vm.prank(carol);
        channel.exit(address(token), bob, payable(bob));
        assertEq(token.balanceOf(carol), 30e18);
        assertEq(token.balanceOf(bob), 20e18);
        assertEq(token.balanceOf(address(channel)), 0);
        assertEq(channel.getExitableAmount(address(token), alice), 0);
        assertEq(channel.getExitableAmount(address(token), bob), 0);
        assertEq(channel.getTotalTransferred(address(token)), 50e18);
        // Exits are per asset: nothing of the native coin.
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.NothingToExit.selector, ETH, bob));
        channel.exit(ETH, bob, payable(bob));
    }

    function test_exit_noReturnToken() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(address(channel), 9e6); // bob's deposit, never processed
        disputeAndDefund(address(usdt), 0, 9e6);
        channel.exit(address(usdt), bob, payable(bob));
        assertEq(usdt.balanceOf(bob), 9e6);
        assertEq(usdt.balanceOf(address(channel)), 0);
    }

    /// @dev Deposits made after the disputed state are exitable by their depositor.
    function test_exit_includesUnprocessedDeposits() public {
        depositAlice(ETH, 3 ether);
        depositBob(ETH, 2 ether);
        CoreChannelState memory ccs = singleAssetState(ETH, 4 ether, 1 ether, 1);
        depositAlice(ETH, 1 ether);
        depositBob(ETH, 7 ether);
        disputeAndEnterDefund(ccs);
        defundChannel(ccs);
        channel.exit(ETH, alice, payable(alice));
        channel.exit(ETH, bob, payable(bob));
        assertEq(alice.balance, 5 ether);
        assertEq(bob.balance, 8 ether);
        assertEq(address(channel).balance, 0);
    }

    function test_exit_revertsWhenRecipientRefuses() public {
        fundAndDefund(ETH, 3 ether, 2 ether);
        RevertingRecipient refuser = new RevertingRecipient();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(RevertingRecipient.Refused.selector));
        channel.exit(ETH, bob, payable(address(refuser)));
        assertEq(channel.getExitableAmount(ETH, bob), 2 ether);
        assertEq(channel.getTotalTransferred(ETH), 0);
        // Still exitable elsewhere.
        vm.prank(bob);
        channel.exit(ETH, bob, payable(bob));
        assertEq(bob.balance, 2 ether);
    }

    function test_exit_revertsOnMastercopy() public {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        mastercopy.exit(ETH, bob, payable(bob));
    }

    /// @dev After a withdrawal the disputed state holds only the rest; exits empty the channel
    /// and everything paid out equals everything deposited.
    function test_exit_afterWithdrawal_conserves() public {
        depositAlice(ETH, 3 ether);
        depositBob(ETH, 2 ether);
        executeWithdraw(withdrawData(ETH, bob, 1 ether, 1));
        assertEq(channel.getTotalDepositsBob(ETH), 2 ether);
        disputeAndDefund(ETH, 3 ether, 1 ether);
        channel.exit(ETH, alice, payable(alice));
        channel.exit(ETH, bob, payable(bob));
        assertEq(alice.balance, 3 ether);
        assertEq(bob.balance, 2 ether);
        assertEq(address(channel).balance, 0);
        assertEq(channel.getTotalTransferred(ETH), 5 ether);
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_exit_bothPartiesRecoverTheirBalances(uint256 aliceAmount, uint256 bobAmount, bool tokens) public {
        address asset = tokens ? address(token) : ETH;
        aliceAmount = bound(aliceAmount, 0, 1e30);
        bobAmount = bound(bobAmount, 0, 1e30);
        fundAndDefund(asset, aliceAmount, bobAmount);
        if (aliceAmount > 0) channel.exit(asset, alice, payable(alice));
        if (bobAmount > 0) channel.exit(asset, bob, payable(bob));
        assertEq(balanceOf(asset, alice), aliceAmount);
        assertEq(balanceOf(asset, bob), bobAmount);
        assertEq(balanceOf(asset, address(channel)), 0);
        assertEq(channel.getTotalTransferred(asset), aliceAmount + bobAmount);
    }

    function testFuzz_exit_authorization(address caller, address recipient, bool ownerIsBob) public {
        assumePayable(recipient);
        assumeNotPrecompile(recipient);
        vm.assume(recipient != address(channel));
        fundAndDefund(ETH, 3 ether, 2 ether);
        address exitOwner = ownerIsBob ? bob : alice;
        uint256 amount = ownerIsBob ? 2 ether : 3 ether;
        uint256 before = recipient.balance;
        vm.prank(caller);
        if (caller != exitOwner && recipient != exitOwner) {
            vm.expectRevert(abi.encodeWithSelector(IChannelErrors.UnauthorizedExit.selector, caller, exitOwner));
            channel.exit(ETH, exitOwner, payable(recipient));
            assertEq(channel.getExitableAmount(ETH, exitOwner), amount);
        } else {
            channel.exit(ETH, exitOwner, payable(recipient));
            assertEq(recipient.balance, before + amount);
            assertEq(channel.getExitableAmount(ETH, exitOwner), 0);
        }
    }
}
