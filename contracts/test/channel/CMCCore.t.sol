// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ChannelTestBase} from "./ChannelTestBase.sol";
import {ChannelMastercopy} from "../../src/channel/ChannelMastercopy.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {IChannelMastercopy} from "../../src/interfaces/IChannelMastercopy.sol";
import {WithdrawData} from "../../src/interfaces/Types.sol";

contract CMCCoreTest is ChannelTestBase {
    function freshClone() internal returns (IChannelMastercopy) {
        return IChannelMastercopy(payable(Clones.clone(address(mastercopy))));
    }

    // ---------------------------------------------------------------- getters

    function test_getters_returnParties() public view {
        assertEq(channel.getAlice(), alice);
        assertEq(channel.getBob(), bob);
        assertEq(factory.getChannelAddress(alice, bob), address(channel));
    }

    function test_getters_mastercopyHasNoParties() public view {
        assertEq(mastercopy.getAlice(), address(0));
        assertEq(mastercopy.getBob(), address(0));
    }

    function test_eip712Domain_isPerChannel() public view {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            ChannelMastercopy(payable(address(channel))).eip712Domain();
        assertEq(name, "Connext");
        assertEq(version, "2");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(channel));
    }

    // ---------------------------------------------------------------- setup

    /// @dev Silently: the factory's `ChannelCreated` announces a channel and its parties.
    function test_setup_setsParties() public {
        IChannelMastercopy clone = freshClone();
        address carol = makeAddr("carol");
        address dave = makeAddr("dave");
        vm.recordLogs();
        clone.setup(carol, dave);
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        assertEq(clone.getAlice(), carol);
        assertEq(clone.getBob(), dave);
    }

    function test_setup_revertsWhenAlreadySetup() public {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AlreadySetup.selector));
        channel.setup(alice, bob);
    }

    function test_setup_revertsWhenAlreadySetupWithOtherParties() public {
        address mallory = makeAddr("mallory");
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AlreadySetup.selector));
        channel.setup(mallory, bob);
        assertEq(channel.getAlice(), alice);
        assertEq(channel.getBob(), bob);
    }

    function test_setup_revertsOnMastercopy() public {
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        mastercopy.setup(alice, bob);
    }

    function test_setup_revertsWhenAliceIsZero() public {
        IChannelMastercopy clone = freshClone();
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, address(0), bob));
        clone.setup(address(0), bob);
    }

    function test_setup_revertsWhenBobIsZero() public {
        IChannelMastercopy clone = freshClone();
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, alice, address(0)));
        clone.setup(alice, address(0));
    }

    function test_setup_revertsWhenPartiesAreEqual() public {
        IChannelMastercopy clone = freshClone();
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, alice, alice));
        clone.setup(alice, alice);
    }

    function test_factory_revertsWhenPartiesAreEqual() public {
        address carol = makeAddr("carol");
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, carol, carol));
        factory.createChannel(carol, carol);
    }

    function testFuzz_setup_acceptsDistinctNonZeroPartiesOnce(address a, address b, address c, address d) public {
        vm.assume(a != address(0) && b != address(0) && a != b);
        IChannelMastercopy clone = freshClone();
        clone.setup(a, b);
        assertEq(clone.getAlice(), a);
        assertEq(clone.getBob(), b);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.AlreadySetup.selector));
        clone.setup(c, d);
    }

    function testFuzz_setup_rejectsInvalidParties(address a, uint8 mode) public {
        IChannelMastercopy clone = freshClone();
        mode %= 3;
        (address x, address y) = mode == 0 ? (address(0), a) : mode == 1 ? (a, address(0)) : (a, a);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidParticipants.selector, x, y));
        clone.setup(x, y);
        assertEq(clone.getAlice(), address(0));
    }

    // ---------------------------------------------------------------- mastercopy is inert

    function test_mastercopy_refusesEveryStatefulEntryPoint() public {
        WithdrawData memory wd = withdrawData(ETH, bob, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        mastercopy.withdraw(wd, "", "");
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        mastercopy.exit(ETH, bob, payable(bob));
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        mastercopy.depositAlice{value: 1 ether}(ETH, 1 ether);
    }

    function test_mastercopy_refusesPlainEther() public {
        vm.deal(bob, 1 ether);
        vm.prank(bob);
        (bool ok, bytes memory data) = address(mastercopy).call{value: 1 ether}("");
        assertFalse(ok);
        assertEq(data, abi.encodeWithSelector(IChannelErrors.OnlyViaProxy.selector));
        assertEq(address(mastercopy).balance, 0);
        assertEq(bob.balance, 1 ether);
    }

    // ---------------------------------------------------------------- signatures and domains

    /// @dev A channel's signatures are bound to its own domain: a clone of the same mastercopy
    /// with the same parties does not accept them.
    function test_signature_boundToChannelDomain() public {
        IChannelMastercopy twin = freshClone();
        twin.setup(alice, bob);
        depositBob(ETH, 1 ether);
        vm.deal(address(twin), 1 ether);
        WithdrawData memory wd = withdrawData(ETH, bob, 1 ether, 1);
        wd.channelAddress = address(twin);
        bytes memory aliceSig = signWithdraw(aliceKey, wd); // signed in `channel`'s domain
        bytes memory bobSig = signWithdraw(bobKey, wd);
        vm.expectRevert(abi.encodeWithSelector(IChannelErrors.InvalidSignature.selector, alice));
        twin.withdraw(wd, aliceSig, bobSig);
    }
}
